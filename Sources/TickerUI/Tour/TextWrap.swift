/// Word wrapping for the tour's explanations and live lines.
enum TextWrap {
    /// `text` broken into lines of at most `width` characters, at spaces where there are any; continuation lines get
    /// `indent`.
    static func lines(_ text: String, width: Int, indent: String = "") -> [String] {
        guard width > indent.count + 8 else { return [String(text.prefix(max(width, 1)))] }
        var result: [String] = []
        var rest = Substring(text)
        var room = width
        while rest.count > room {
            let piece = rest.prefix(room + 1)
            let cut = piece.lastIndex(of: " ").map { piece.distance(from: piece.startIndex, to: $0) } ?? room
            let length = cut > room / 2 ? cut : room
            result.append((result.isEmpty ? "" : indent) + rest.prefix(length))
            rest = rest.dropFirst(length).drop { $0 == " " }
            room = width - indent.count
        }
        result.append((result.isEmpty ? "" : indent) + rest)
        return result
    }
}
