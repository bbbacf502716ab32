/// A field value for seed vectors, with its wire tag.
indirect enum SeedValue {
    case t(Bool), b(Int8), B(UInt8), s(Int16), u(UInt16), I(Int32), i(UInt32), l(Int64)
    case f(Float), d(Double), D(scale: UInt8, value: Int32)
    case S(String), rawS([UInt8]), A([SeedValue]), T(UInt64), F([(String, SeedValue)]), V, x([UInt8])
}

/// Writes AMQP wire bytes by hand for the seed corpus, independently of the codec under test,
/// so that a bug in the encoder does not become a blind spot of the corpus.
struct SeedWire {
    var bytes: [UInt8] = []

    mutating func octet(_ value: UInt8) { bytes.append(value) }
    mutating func short(_ value: UInt16) { bigEndian(UInt64(value), count: 2) }
    mutating func long(_ value: UInt32) { bigEndian(UInt64(value), count: 4) }
    mutating func longlong(_ value: UInt64) { bigEndian(value, count: 8) }

    private mutating func bigEndian(_ value: UInt64, count: Int) {
        for index in (0..<count).reversed() {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index)))
        }
    }

    mutating func shortstr(_ string: String) {
        let utf8 = Array(string.utf8)
        octet(UInt8(utf8.count))
        bytes += utf8
    }

    mutating func longstr(_ raw: [UInt8]) {
        long(UInt32(raw.count))
        bytes += raw
    }

    mutating func longstr(_ string: String) { longstr(Array(string.utf8)) }

    /// Bits packed into octets, first bit in the lowest position.
    mutating func bits(_ values: Bool...) {
        var octet: UInt8 = 0
        for (index, value) in values.enumerated() where value {
            octet |= 1 << UInt8(index)
        }
        self.octet(octet)
    }

    mutating func table(_ entries: [(String, SeedValue)]) {
        var inner = SeedWire()
        for (key, value) in entries {
            inner.shortstr(key)
            inner.value(value)
        }
        longstr(inner.bytes)
    }

    mutating func array(_ values: [SeedValue]) {
        var inner = SeedWire()
        for value in values {
            inner.value(value)
        }
        longstr(inner.bytes)
    }

    mutating func value(_ value: SeedValue) {
        func tag(_ character: Character) { octet(character.asciiValue!) }
        switch value {
        case .t(let bool): tag("t"); octet(bool ? 1 : 0)
        case .b(let int): tag("b"); octet(UInt8(bitPattern: int))
        case .B(let int): tag("B"); octet(int)
        case .s(let int): tag("s"); short(UInt16(bitPattern: int))
        case .u(let int): tag("u"); short(int)
        case .I(let int): tag("I"); long(UInt32(bitPattern: int))
        case .i(let int): tag("i"); long(int)
        case .l(let int): tag("l"); longlong(UInt64(bitPattern: int))
        case .f(let float): tag("f"); long(float.bitPattern)
        case .d(let double): tag("d"); longlong(double.bitPattern)
        case .D(let scale, let value): tag("D"); octet(scale); long(UInt32(bitPattern: value))
        case .S(let string): tag("S"); longstr(string)
        case .rawS(let raw): tag("S"); longstr(raw)
        case .A(let values): tag("A"); array(values)
        case .T(let seconds): tag("T"); longlong(seconds)
        case .F(let entries): tag("F"); table(entries)
        case .V: tag("V")
        case .x(let raw): tag("x"); longstr(raw)
        }
    }

    /// A method frame payload: class id, method id, then what `arguments` writes.
    static func method(_ classID: UInt16, _ methodID: UInt16, _ arguments: (inout SeedWire) -> Void = { _ in }) -> [UInt8] {
        var wire = SeedWire()
        wire.short(classID)
        wire.short(methodID)
        arguments(&wire)
        return wire.bytes
    }

    /// A whole frame around `payload`.
    static func frame(type: UInt8, channel: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var wire = SeedWire()
        wire.octet(type)
        wire.short(channel)
        wire.long(UInt32(payload.count))
        wire.bytes += payload
        wire.octet(0xCE)
        return wire.bytes
    }

    /// A content header frame payload: class 60, weight 0, body size, then `properties`.
    static func contentHeader(bodySize: UInt64, _ properties: [UInt8]) -> [UInt8] {
        var wire = SeedWire()
        wire.short(60)
        wire.short(0)
        wire.longlong(bodySize)
        wire.bytes += properties
        return wire.bytes
    }
}
