import Testing

@testable import Hare

/// The JSON parser behind client_properties, ssl_options and tcp_options.
@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func scalars() throws {
        #expect(try parse("null") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("0") == .integer(0))
        #expect(try parse("-0") == .integer(0))
        #expect(try parse("42") == .integer(42))
        #expect(try parse("-42") == .integer(-42))
        #expect(try parse("9223372036854775807") == .integer(.max))
        #expect(try parse("-9223372036854775808") == .integer(.min))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("1.5") == .double(1.5))
        #expect(try parse("-0.25") == .double(-0.25))
        #expect(try parse("1e3") == .double(1000))
        #expect(try parse("1E+3") == .double(1000))
        #expect(try parse("25e-1") == .double(2.5))
        #expect(try parse("1.0") == .double(1))
        #expect(try parse(#""""#) == .string(""))
        #expect(try parse(#""abc""#) == .string("abc"))
        #expect(try parse(" \t\r\n 1 \n") == .integer(1))
    }

    @Test func escapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u00E9""#) == .string("Aéé"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse(#""\u20AC""#) == .string("€"))
        #expect(try parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try parse(#""\ud834\udd1e!""#) == .string("𝄞!"))
        #expect(try parse(#""é😀 raw""#) == .string("é😀 raw"))
        #expect(try parse(#""\uFFFF""#) == .string("\u{FFFF}"))
    }

    @Test func containers() throws {
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([]))
        #expect(try parse(" [ 1 , [ 2 , [ ] ] , { } ] ") == .array([.integer(1), .array([.integer(2), .array([])]), .object([])]))
        #expect(
            try parse(#"{"b":1,"a":{"c":[true,null]}}"#)
                == .object([
                    JSONMember(key: "b", value: .integer(1)),
                    JSONMember(key: "a", value: .object([JSONMember(key: "c", value: .array([.bool(true), .null]))])),
                ]))
    }

    @Test func nestingLimit() throws {
        let deepest = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(deepest) }
        let tooDeep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(jsonError(tooDeep) == JSONParser.Error(reason: "nested deeper than 32 levels", offset: 32))
        let objects = String(repeating: #"{"a":"#, count: JSONParser.maxDepth + 1) + "1" + String(repeating: "}", count: JSONParser.maxDepth + 1)
        #expect(jsonError(objects)?.reason == "nested deeper than 32 levels")
        // Far too deep: refused quickly, without running out of stack.
        #expect(jsonError(String(repeating: "[", count: 60_000))?.reason == "nested deeper than 32 levels")
    }

    @Test func lengthLimit() throws {
        let longest = "\"" + String(repeating: "a", count: JSONParser.maxLength - 2) + "\""
        #expect(throws: Never.self) { try JSONParser.parse(longest) }
        #expect(jsonError(longest + " ")?.reason == "longer than 65536 bytes")
    }

    /// Malformed documents and the offset of the error.
    static let garbage: [(text: String, reason: String, offset: Int)] = [
        ("", "unexpected end of input", 0),
        ("   ", "unexpected end of input", 3),
        ("nul", "invalid literal", 0),
        ("nulll", "unexpected text after the value", 4),
        ("True", "unexpected character", 0),
        ("None", "unexpected character", 0),
        ("'a'", "unexpected character", 0),
        ("1 2", "unexpected text after the value", 2),
        ("01", "unexpected text after the value", 1),
        ("-", "invalid number", 1),
        ("-a", "invalid number", 1),
        ("+1", "unexpected character", 0),
        (".5", "unexpected character", 0),
        ("1.", "invalid number", 2),
        ("1.e5", "invalid number", 2),
        ("1e", "invalid number", 2),
        ("1e+", "invalid number", 3),
        ("1e999", "number out of range", 0),
        ("-1e999", "number out of range", 0),
        ("NaN", "unexpected character", 0),
        ("[", "unexpected end of input", 1),
        ("[1", "expected ',' or ']'", 2),
        ("[1,]", "unexpected character", 3),
        ("[,1]", "unexpected character", 1),
        ("]", "unexpected character", 0),
        ("{", "expected a string key", 1),
        ("{\"a\"}", "expected ':'", 4),
        ("{\"a\":}", "unexpected character", 5),
        ("{\"a\":1,}", "expected a string key", 7),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7),
        ("{a:1}", "expected a string key", 1),
        ("{1:1}", "expected a string key", 1),
        ("{\"a\":1,\"a\":2}", "duplicate key", 7),
        ("\"abc", "unterminated string", 4),
        ("\"a\nb\"", "control character in a string", 2),
        ("\"\t\"", "control character in a string", 1),
        ("\"\\x\"", "invalid escape", 2),
        ("\"\\", "unterminated string", 2),
        ("\"\\u12\"", "invalid \\u escape", 5),
        ("\"\\u12", "unterminated \\u escape", 5),
        ("\"\\uZZZZ\"", "invalid \\u escape", 3),
        ("\"\\uD800\"", "unpaired surrogate in \\u escape", 7),
        ("\"\\uD800x\"", "unpaired surrogate in \\u escape", 7),
        ("\"\\uD800\\n\"", "unpaired surrogate in \\u escape", 7),
        ("\"\\uD800\\u0041\"", "unpaired surrogate in \\u escape", 13),
        ("\"\\uD800\\uD800\"", "unpaired surrogate in \\u escape", 13),
        ("\"\\uDC00\"", "unpaired surrogate in \\u escape", 7),
        ("\u{FEFF}{}", "unexpected character", 0),
        ("{}\u{0}", "unexpected text after the value", 2),
    ]

    @Test("Garbage", arguments: garbage)
    func refuses(_ text: String, reason: String, offset: Int) {
        #expect(jsonError(text) == JSONParser.Error(reason: reason, offset: offset))
    }

    /// Every prefix of a valid document fails cleanly, and every single-byte corruption either
    /// parses or fails: the parser never traps.
    @Test func prefixesAndCorruptions() {
        let document = #"{"a":[1,-2.5e3,true,false,null,"x\u00e9\ud83d\ude00\n"],"b":{"c":{}}}"#
        let bytes = Array(document.utf8)
        #expect(jsonError(document) == nil)
        for length in 0..<bytes.count {
            #expect(jsonError(String(decoding: bytes[..<length], as: UTF8.self)) != nil)
        }
        for index in bytes.indices {
            for replacement in [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "{"), UInt8(ascii: "]"), 0, 0x7F, UInt8(ascii: "9")] {
                var corrupted = bytes
                corrupted[index] = replacement
                _ = jsonError(String(decoding: corrupted, as: UTF8.self))
            }
        }
    }

    @Test func fieldValues() throws {
        let value = try JSONParser.parse(#"{"s":"x","i":-1,"d":0.5,"t":false,"n":null,"a":[[]],"o":{"k":"v"}}"#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        let table = try JSONValue.fieldTable(members)
        #expect(
            table == [
                "s": .string("x"), "i": .int64(-1), "d": .double(0.5), "t": .boolean(false), "n": .void, "a": .array([.array([])]),
                "o": .table(["k": .string("v")]),
            ])
    }
}
