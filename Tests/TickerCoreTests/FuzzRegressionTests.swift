import Foundation
import Testing
import TickerCore
import TickerFuzzing

/// Every input in `FuzzInputs/` (the seeds and any crash libFuzzer ever found) through the fuzz target's properties,
/// so a fixed crash stays fixed. `.ci/run` fuzzes for a bounded time from the same folder.
@Suite struct FuzzRegressionTests {
    static let inputs: [URL] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzInputs")
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }()

    @Test func theFolderHoldsSeedsForBothTargets() throws {
        let selectors = try Self.inputs.map { try Data(contentsOf: $0).first ?? 0 }
        #expect(selectors.contains { $0 & 1 == 0 })
        #expect(selectors.contains { $0 & 1 == 1 })
    }

    @Test(arguments: inputs) func replay(_ input: URL) throws {
        ClientInputFuzzer.run(Array(try Data(contentsOf: input)))
    }

    @Test func aRefusedMessageNamesItsProblem() {
        #expect(throws: ClientMessageError.self) { try ClientMessage.decode(Data(#"{"type":"subscribe","symbols":[1]}"#.utf8)) }
    }
}
