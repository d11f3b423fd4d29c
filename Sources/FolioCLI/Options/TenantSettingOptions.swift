import ArgumentParser
import FolioWire

/// The settings `tenant set` may change. An empty value clears the optional ones
/// (legal name, tax id, email, phone, address parts).
struct TenantSettingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Tax rounding: line or document.", valueName: "mode"))
    var taxRounding: String?
    @Option(help: ArgumentHelp("Default payment terms in days.", valueName: "days"))
    var terms: Int?
    @Option(help: ArgumentHelp("Invoice number format, e.g. 'INV-{YYYY}-{seq:05}'.", valueName: "format"))
    var invoiceFormat: String?
    @Option(help: ArgumentHelp("Credit note number format.", valueName: "format"))
    var creditNoteFormat: String?
    @Option(help: ArgumentHelp("Legal name printed on documents.", valueName: "name"))
    var legalName: String?
    @Option(help: ArgumentHelp("The tenant's tax id.", valueName: "id"))
    var taxId: String?
    @Option(help: ArgumentHelp("E-mail address.", valueName: "email"))
    var email: String?
    @Option(help: ArgumentHelp("Phone number.", valueName: "phone"))
    var phone: String?
    @Option(help: ArgumentHelp("Time zone, e.g. Europe/Berlin.", valueName: "tz"))
    var timezone: String?
    @Option(help: ArgumentHelp("Legal registration number (e.g. a company register entry).", valueName: "id"))
    var registrationId: String?
    @Option(help: ArgumentHelp("E-invoicing address as SCHEME:ID, e.g. 0088:4012345000009 or EM:ap@example.com (empty clears).",
                               valueName: "scheme:id"))
    var electronicAddress: String?
    @Option(help: ArgumentHelp("Bank account IBAN for payment means (empty clears the account).", valueName: "iban"))
    var iban: String?
    @Option(help: ArgumentHelp("The bank's BIC (with --iban).", valueName: "bic")) var bic: String?
    @Option(help: ArgumentHelp("The account holder's name (with --iban).", valueName: "name")) var accountName: String?
    @Option(help: ArgumentHelp("What invoice send attaches: pdf, ubl or both.", valueName: "kind"))
    var einvoiceAttachment: String?
    @OptionGroup(title: "Postal address") var address: AddressOptions<TenantAddress>

    /// Adds the given settings to `params`; address parts are merged into `current`'s address.
    func apply(to params: inout JSONObject, current: JSON?) {
        params.set("tax_rounding", taxRounding)
        params.set("payment_terms_days", terms)
        params.set("invoice_number_format", invoiceFormat)
        params.set("credit_note_number_format", creditNoteFormat)
        params.set("legal_name", clearable: legalName)
        params.set("tax_id", clearable: taxId)
        params.set("email", clearable: email)
        params.set("phone", clearable: phone)
        params.set("timezone", timezone)
        params.set("registration_id", clearable: registrationId)
        if let electronicAddress { params["electronic_address"] = ElectronicAddress.json(electronicAddress) }
        if let iban {
            var account: JSONObject = ["iban": .string(iban)]
            account.set("bic", bic)
            account.set("name", accountName)
            params["payment_account"] = iban.isEmpty ? .null : .object(account)
        }
        params.set("einvoice_attachment", einvoiceAttachment)
        address.apply(to: &params, current: current?[TenantAddress.field])
    }
}
