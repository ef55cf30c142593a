import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// `--now`: the time a command takes as the present. Reading commands may look at any
/// time (what the pools would do next month); a command that writes records the clock,
/// unless CLIENTELE_CLOCK_OVERRIDE=1 says the run is a test or a demo, since a time
/// written into the log or counted against a pool's limits must not be the caller's choice.
enum Clock {
    static let overrideVariable = "CLIENTELE_CLOCK_OVERRIDE"

    /// A `--now` must be a date and time with an offset.
    static func check(_ now: String?) throws {
        guard let now else { return }
        guard Timestamp.parseDateTime(now) != nil else {
            throw ValidationError(
                "--now must be a date and time with an offset, like 2026-11-23T09:00:00Z, not '\(now)'")
        }
    }

    static func checkWriting(_ now: String?) throws {
        guard now != nil, ProcessInfo.processInfo.environment[overrideVariable] != "1" else { return }
        throw ValidationError(
            "--now sets the time a write records, which only tests and demos may do: set \(overrideVariable)=1 to allow it"
        )
    }
}
