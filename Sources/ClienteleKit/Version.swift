import ClienteleCore
import ClienteleSpec
import ClienteleModel
import ClienteleEngine
import ClienteleStore
/// The version `clientele --version` prints.
public enum ClienteleVersion {
    public static let string = "0.1.0"
}
