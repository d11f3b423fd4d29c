import FolioWire

/// A command-line value that becomes a JSON param.
protocol ParamValue {
    var paramJSON: JSON { get }
}

extension String: ParamValue {
    var paramJSON: JSON { .string(self) }
}

extension Int: ParamValue {
    var paramJSON: JSON { JSON(self) }
}

extension Int64: ParamValue {
    var paramJSON: JSON { JSON(self) }
}

extension JSON: ParamValue {
    var paramJSON: JSON { self }
}

extension JSONObject {
    /// Sets `key` to `value` when one was given; leaves the params alone otherwise,
    /// so only the fields the user named travel to the server.
    mutating func set(_ key: String, _ value: (some ParamValue)?) {
        if let value { self[key] = value.paramJSON }
    }

    /// Like `set`, for fields that may be cleared: an empty string sends `null`.
    mutating func set(_ key: String, clearable value: String?) {
        if let value { self[key] = value.isEmpty ? .null : .string(value) }
    }

    /// Sets `flag` to true when it is set; false is the server's default and is not sent.
    mutating func set(_ key: String, flag: Bool) {
        if flag { self[key] = .bool(true) }
    }
}
