import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Foundation

/// Where imported or templated records go: a team, a table and maybe a package,
/// from the command's options, checked against the model.
package enum ImportTarget {
    package static func resolve(_ model: Model, team: String?, table: String?, package: String?) throws(ImportFileError)
        -> RecordValidator.Defaults
    {
        var defaults = RecordValidator.Defaults()
        if let table {
            guard let kind = TableKind(rawValue: table) else {
                let names = TableKind.allCases.map(\.rawValue)
                throw ImportFileError(
                    "there is no table '\(table)'\(Suggestion.hint(table, in: names, listing: "tables"))")
            }
            defaults.table = kind
        }
        if let package {
            guard let p = model.schema.package(package) else {
                throw ImportFileError(
                    "there is no package '\(package)'\(Suggestion.didYouMean(package, in: model.schema.packages.map(\.id)))"
                )
            }
            if let kind = defaults.table, kind != p.table {
                throw ImportFileError(
                    "package '\(package)' belongs to table '\(p.table.rawValue)', not '\(kind.rawValue)'")
            }
            if let team, team != p.team {
                throw ImportFileError("package '\(package)' belongs to team '\(p.team)', not '\(team)'")
            }
            defaults.package = package
            defaults.team = p.team
            defaults.table = p.table
        }
        if let team {
            guard model.organization.team(team) != nil else {
                throw ImportFileError(
                    "there is no team '\(team)'\(Suggestion.didYouMean(team, in: model.organization.teams.map(\.id)))")
            }
            defaults.team = team
        } else if defaults.team == nil, model.organization.teams.count == 1 {
            defaults.team = model.organization.teams[0].id
        }
        return defaults
    }
}

/// The CSV header that `template` writes: system columns, then every field's display
/// name, but those of fields the schema hides (`hidden: true`).
package enum ImportTemplate {
    package static func csvHeader(_ model: Model, team: String?, table: String, package: String?)
        throws(ImportFileError) -> String
    {
        let target = try ImportTarget.resolve(model, team: team, table: table, package: package)
        guard let team = target.team else {
            throw ImportFileError(
                "the config has several teams (\(model.organization.teams.map(\.id).joined(separator: ", "))); give --team"
            )
        }
        let fields = model.schema.fields(team: team, table: target.table!, package: target.package).filter {
            !$0.hidden
        }
        let columns = ["Id", "Account executive", "Service representative", "Tags"] + fields.flatMap(\.displays)
        return columns.map { CSVCell.escaped($0) }.joined(separator: ",")
    }
}
