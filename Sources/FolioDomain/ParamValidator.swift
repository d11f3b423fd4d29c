import FolioWire

/// Checks parameters against their declared fields; the first problem found is
/// thrown as -32602 with the field's path (`lines[2].qty`).
public enum ParamValidator {
    public static func validate(_ object: JSONObject, _ fields: [Field], path: String = "") throws(RPCError) {
        for member in object where !fields.contains(where: { $0.name == member.key }) {
            throw .invalidParams("unknown field \"\(member.key)\"", field: join(path, member.key))
        }
        for field in fields {
            let fieldPath = join(path, field.name)
            guard let value = object[field.name] else {
                if field.required { throw .invalidParams("\(fieldPath) is required", field: fieldPath) }
                continue
            }
            if value.isNull {
                if field.nullable { continue }
                if field.required { throw .invalidParams("\(fieldPath) must not be null", field: fieldPath) }
                throw .invalidParams("\(fieldPath) must not be null; leave it out instead", field: fieldPath)
            }
            try check(value, field.type, path: fieldPath)
        }
    }

    static func check(_ value: JSON, _ type: ParamType, path: String) throws(RPCError) {
        func fail(_ message: String) -> RPCError { .invalidParams("\(path) \(message)", field: path) }
        switch type {
        case .text(let min, let max):
            guard let s = value.stringValue else { throw fail("must be a string, not \(value.typeName)") }
            let count = s.count
            if count < min { throw fail(min == 1 ? "must not be empty" : "must have at least \(min) characters") }
            if count > max { throw fail("must have at most \(max) characters") }
            if s.unicodeScalars.contains(where: { $0.value == 0 }) { throw fail("must not contain NUL characters") }
        case .template(let max):
            try check(value, .text(max: max), path: path)
        case .line(let max):
            try check(value, .text(max: max), path: path)
            if value.stringValue!.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw fail("must not contain control characters")
            }
        case .slug:
            guard let s = value.stringValue else { throw fail("must be a string, not \(value.typeName)") }
            guard isSlug(s) else { throw fail("must match ^[a-z][a-z0-9_]{1,39}$") }
        case .integer(let min, let max):
            guard case .number(let text) = value else { throw fail("must be an integer, not \(value.typeName)") }
            guard let n = Int64(text) else { throw fail("must be an integer") }
            if n < min || n > max { throw fail("must be between \(min) and \(max)") }
        case .decimal(let scale, let integerDigits, let allowNegative):
            guard let s = value.stringValue else {
                throw fail("must be a decimal in a JSON string (e.g. \"12.50\"), not \(value.typeName)")
            }
            guard let d = ExactDecimal(s) else { throw fail("must be a plain decimal such as \"12.50\"") }
            if d.scale > scale { throw fail("has more than \(scale) decimals") }
            if d.integerDigits > integerDigits { throw fail("is out of range (at most \(integerDigits) integer digits)") }
            if d.isNegative && !allowNegative { throw fail("must not be negative") }
        case .date:
            guard let s = value.stringValue else { throw fail("must be a date string YYYY-MM-DD, not \(value.typeName)") }
            guard CalendarDate(s) != nil else { throw fail("must be a valid date YYYY-MM-DD") }
        case .boolean:
            guard value.boolValue != nil else { throw fail("must be true or false, not \(value.typeName)") }
        case .choice(let options):
            guard let s = value.stringValue else { throw fail("must be a string, not \(value.typeName)") }
            guard options.contains(s) else { throw fail("must be one of \(options.joined(separator: ", "))") }
        case .object(let fields):
            guard let object = value.objectValue else { throw fail("must be an object, not \(value.typeName)") }
            try validate(object, fields, path: path)
        case .array(let element, let min, let max):
            guard let array = value.arrayValue else { throw fail("must be an array, not \(value.typeName)") }
            if array.count < min { throw fail("must have at least \(min) element\(min == 1 ? "" : "s")") }
            if array.count > max { throw fail("must have at most \(max) elements") }
            for (i, item) in array.enumerated() {
                try check(item, element, path: "\(path)[\(i)]")
            }
        case .oneOf(let types):
            for candidate in types where (try? check(value, candidate, path: path)) != nil { return }
            throw fail("must be " + types.map(form).joined(separator: " or "))
        }
    }

    /// What a value of `type` looks like, for the message of a failed `oneOf`.
    private static func form(_ type: ParamType) -> String {
        switch type {
        case .integer(let min, let max): "an integer between \(min) and \(max)"
        case .choice(let options): "one of \(options.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .text, .line, .template, .slug: "a string"
        case .decimal: "a decimal in a string"
        case .date: "a date YYYY-MM-DD"
        case .boolean: "true or false"
        case .object: "an object"
        case .array: "an array"
        case .oneOf(let types): types.map(form).joined(separator: " or ")
        }
    }

    /// Whether `s` is a valid tenant slug.
    public static func isSlug(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard (2...40).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }

    private static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
