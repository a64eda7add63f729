import Foundation
import TickerFuzzing

/// With `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh): hands the fuzz target to libFuzzer's driver, which takes
/// libFuzzer's usual arguments. Otherwise: replays the files named on the command line (a crash input, a corpus)
/// through the same target.
@main
enum TickerFuzzer {
    static func main() throws {
        #if FUZZING
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
        #else
            for path in CommandLine.arguments.dropFirst() {
                ClientInputFuzzer.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
                print("ok \(path)")
            }
        #endif
    }
}

#if FUZZING
    /// The fuzz target itself. libFuzzer's own `main` (linked in whole with `-sanitize=fuzzer`) calls it; SwiftPM's
    /// `main` for this executable wins the link and goes through `LLVMFuzzerRunDriver`, which calls it too.
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        ClientInputFuzzer.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }

    /// libFuzzer's entry for programs that have their own `main` (SwiftPM gives every executable one).
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32
#endif
