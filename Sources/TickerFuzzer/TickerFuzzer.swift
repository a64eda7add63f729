import TickerFuzzing

#if FUZZING
    /// libFuzzer's entry point (build with `-Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING`; libFuzzer supplies `main`).
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
        ClientInputFuzzer.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#else
    import Foundation

    /// Without libFuzzer: replays the files named on the command line (a crash input, a corpus) through the same target.
    @main
    enum TickerFuzzerReplay {
        static func main() throws {
            for path in CommandLine.arguments.dropFirst() {
                ClientInputFuzzer.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
                print("ok \(path)")
            }
        }
    }
#endif
