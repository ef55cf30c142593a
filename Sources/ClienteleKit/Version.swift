import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// The version `clientele --version` prints.
package enum ClienteleVersion {
    package static let string = "0.1.0"
}
