import AMQPProtocol

extension JSONValue {
    /// Why a JSON value has no field-table form.
    struct FieldTableError: Error, Hashable {
        var reason: String
    }

    /// The value as an AMQP field value: a string as `.string`, an integer as `.int64`, another
    /// number as `.double`, a boolean as `.boolean`, null as `.void`, an object as `.table`, an
    /// array as `.array`.
    func fieldValue() throws(FieldTableError) -> FieldValue {
        switch self {
        case .null: return .void
        case .bool(let flag): return .boolean(flag)
        case .integer(let number): return .int64(number)
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .object(let members): return .table(try Self.fieldTable(members))
        case .array(let elements):
            var values: [FieldValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try element.fieldValue()) }
            return .array(values)
        }
    }

    /// An object's members as a field table, in order; keys longer than 255 UTF-8 bytes (an AMQP
    /// short string) are refused.
    static func fieldTable(_ members: [JSONMember]) throws(FieldTableError) -> FieldTable {
        var table = FieldTable()
        for member in members {
            guard member.key.utf8.count <= 255 else {
                throw FieldTableError(reason: "a key is longer than 255 bytes")
            }
            table.append(key: member.key, value: try member.value.fieldValue())
        }
        return table
    }
}
