import FolioWire

extension Session {
    /// Calls a tenant-scoped list method with the paging options. With `--all` it follows
    /// `next_cursor` to the end, reporting progress, and answers one combined
    /// `{"items": [...], "next_cursor": null}`.
    func list(_ method: String, _ params: JSONObject, paging: ListOptions, noun: Noun) throws -> JSON {
        var params = params
        params.set("limit", paging.pageLimit)
        params.set("cursor", paging.cursor)
        guard paging.all else { return try callInTenant(method, params) }

        var items: [JSON] = []
        var progress = FetchProgress(noun: noun)
        defer { progress.finish() }
        while true {
            let page = try callInTenant(method, params)
            items += page["items"]?.arrayValue ?? []
            let next = page["next_cursor"]?.stringValue
            progress.fetched(items.count, morePages: next != nil)
            guard let next else { break }
            params["cursor"] = .string(next)
        }
        return ["items": .array(items), "next_cursor": .null]
    }
}
