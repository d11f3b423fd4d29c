import FolioWire

extension Session {
    /// Calls a tenant-scoped list method with the paging options. With `--all` it follows
    /// `next_cursor` to the end, reporting progress, and answers one combined
    /// `{"items": [...], "next_cursor": null}`. `inTenant: false` lists across tenants
    /// (tenant.list).
    func list(_ method: String, _ params: JSONObject, paging: ListOptions, noun: Noun, inTenant: Bool = true) throws -> JSON {
        var params = params
        params.set("limit", paging.pageLimit)
        params.set("cursor", paging.cursor)
        let page = { (params: JSONObject) in inTenant ? try callInTenant(method, params) : try call(method, params) }
        guard paging.all else { return try page(params) }

        var items: [JSON] = []
        var progress = FetchProgress(noun: noun)
        defer { progress.finish() }
        while true {
            let fetched = try page(params)
            items += fetched["items"]?.arrayValue ?? []
            let next = fetched["next_cursor"]?.stringValue
            progress.fetched(items.count, morePages: next != nil)
            guard let next else { break }
            params["cursor"] = .string(next)
        }
        return ["items": .array(items), "next_cursor": .null]
    }
}
