/// Where each part of the dashboard goes for a given model and terminal size. Shared by the update (to keep the
/// selection visible) and the view.
struct DashboardLayout: Hashable {
    static let minimumWidth = 40
    static let minimumHeight = 10
    /// Width of the demo's server pane when it sits beside the dashboard.
    static let serverPaneWidth = 44
    /// Below this width the demo stacks the server pane under the dashboard.
    static let sideBySideWidth = 130

    struct Rect: Hashable {
        var x = 0
        var y = 0
        var width = 0
        var height = 0
    }

    var tooSmall: Bool
    var header = Rect()
    var table = Rect()
    var lowerPanes = Rect()
    var status = Rect()
    var footer = Rect()
    var server = Rect()

    /// Rows of quotes that fit in the table (its height minus the column header).
    var visibleRows: Int { max(0, table.height - 1) }

    init(_ model: DashboardModel) {
        let width = model.width
        let height = model.height
        tooSmall = width < Self.minimumWidth || height < Self.minimumHeight
        guard !tooSmall else { return }
        var mainWidth = width
        var mainHeight = height
        if model.server != nil {
            if width >= Self.sideBySideWidth {
                mainWidth = width - Self.serverPaneWidth
                server = Rect(x: mainWidth, y: 0, width: Self.serverPaneWidth, height: height)
            } else {
                let paneHeight = min(10, max(5, height / 3))
                mainHeight = height - paneHeight
                server = Rect(x: 0, y: mainHeight, width: width, height: paneHeight)
            }
        }
        header = Rect(x: 0, y: 0, width: mainWidth, height: 2)
        footer = Rect(x: 0, y: mainHeight - 1, width: mainWidth, height: 1)
        status = Rect(x: 0, y: mainHeight - 2, width: mainWidth, height: 1)
        let available = mainHeight - 2 - 2
        let panes = (model.showEvents ? 1 : 0) + (model.showHandshake ? 1 : 0) + (model.showFrames ? 1 : 0)
        let paneHeight = panes == 0 ? 0 : min(available - 3, max(6 * panes, available * 2 / 5))
        lowerPanes = Rect(x: 0, y: mainHeight - 2 - paneHeight, width: mainWidth, height: paneHeight)
        table = Rect(x: 0, y: 2, width: mainWidth, height: available - paneHeight)
    }
}
