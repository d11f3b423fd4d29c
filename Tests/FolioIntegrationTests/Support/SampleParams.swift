import FolioDomain
import FolioWire

/// Builds params that pass a method's validation (each required field with a valid sample
/// value), so tests can reach the authorization and database layers of every method.
enum SampleParams {
    static func of(_ spec: MethodSpec, tenant: String) -> JSONObject {
        var params = object(spec.allFields)
        if params["tenant"] != nil { params["tenant"] = .string(tenant) }
        return params
    }

    static func object(_ fields: [Field]) -> JSONObject {
        var object = JSONObject()
        for field in fields where field.required {
            object[field.name] = value(field.type)
        }
        return object
    }

    static func value(_ type: ParamType) -> JSON {
        switch type {
        case .text(let min, _): .string(String(repeating: "x", count: Swift.max(min, 1)))
        case .line: "x"
        case .template: "{{number}}"
        case .slug: "sample"
        case .integer(let min, let max): JSON(Int64(Swift.min(Swift.max(min, 1), max)))
        case .decimal: "1"
        case .date: "2026-01-02"
        case .boolean: false
        case .choice(let options): .string(options[0])
        case .object(let fields): .object(object(fields))
        case .array(let element, let min, _): .array(Array(repeating: value(element), count: Swift.max(min, 1)))
        case .oneOf(let types): value(types[0])
        }
    }
}
