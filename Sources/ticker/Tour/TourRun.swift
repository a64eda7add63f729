import Foundation
import TickerClient
import TickerCore
import TickerUI

/// One tour program wired to its labs: the labs' reports become the program's messages, the program's commands go to
/// the labs, and a clock message comes four times a second.
struct TourRun {
    let program: TourProgram
    let labs: TourLabs
    private let reports: AsyncStream<TourMessage>

    init(
        url: WebSocketURL, http: TourHTTP, chapter: TourChapter, render: (@Sendable (CellGrid) -> Void)?,
        observe: @escaping @Sendable (TourModel, TourProgram) -> Bool = { _, _ in true }
    ) {
        let (reports, report) = AsyncStream.makeStream(of: TourMessage.self)
        let labs = TourLabs(url: url, http: http) { report.yield($0) }
        var model = TourModel(url: url.description, now: WallClock.nowMicroseconds())
        model.chapter = chapter
        model.indexSelection = chapter
        program = TourProgram(model: model, render: render, perform: labs.perform, observe: observe)
        self.labs = labs
        self.reports = reports
    }

    /// Runs until the program ends (`q`, an interrupt, or `observe` saying stop); `extra` producers run beside it.
    func run(_ extra: [@Sendable (TourProgram) async -> Void] = []) async {
        let program = program
        let reports = reports
        labs.perform(.enter(program.model.chapter))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await report in reports { program.send(report) }
            }
            group.addTask {
                while !Task.isCancelled {
                    program.send(.clock(now: WallClock.nowMicroseconds()))
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            for producer in extra { group.addTask { await producer(program) } }
            await program.run()
            labs.stop()
            group.cancelAll()
        }
    }
}
