import Foundation

/// Locates the files shipped in `Assets/`: the symbol universe and the browser dashboard.
///
/// SwiftPM copies them into a resource bundle next to the built binary, so `swift run` in the repository and a built
/// binary run from any other directory both find them. `TICKER_ASSETS=/path/to/Assets` overrides the location.
public enum TickerAssets {
    /// The folder that holds `symbols.json` and `web/`.
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["TICKER_ASSETS"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return Bundle.module.resourceURL ?? Bundle.module.bundleURL
    }

    /// The bytes of `symbols.json`.
    public static func symbolsJSON() throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent("symbols.json"))
    }

    /// The folder of the browser dashboard (`index.html`, `app.js`, `style.css`).
    public static var webDirectory: URL {
        directory.appendingPathComponent("web", isDirectory: true)
    }
}
