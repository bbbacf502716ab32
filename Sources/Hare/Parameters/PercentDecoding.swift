/// Percent-decoding of URL parts (RFC 3986 section 2.1).
enum PercentDecoding {
    /// Why a part could not be decoded (the part's text is never included).
    enum Failure: Error, Hashable {
        /// A `%` not followed by two hexadecimal digits.
        case invalidEscape
        /// The decoded bytes are not UTF-8.
        case invalidUTF8

        var reason: String {
            switch self {
            case .invalidEscape: "invalid percent-encoding ('%' must be followed by two hexadecimal digits)"
            case .invalidUTF8: "percent-encoded bytes are not valid UTF-8"
            }
        }
    }

    /// Decodes `%XX` escapes in `part`, and `+` as a space when `plusAsSpace` (query strings, as
    /// Python's `parse_qs` does).
    static func decode(_ part: Substring, plusAsSpace: Bool = false) throws(Failure) -> String {
        guard part.utf8.contains(UInt8(ascii: "%")) || (plusAsSpace && part.utf8.contains(UInt8(ascii: "+"))) else {
            return String(part)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.utf8.count)
        var iterator = part.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw .invalidEscape
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
