/// The built-in HTML template (mustache). A tenant's `Branding.htmlTemplate` replaces it and
/// gets the same values:
///
/// `title`, `number`, `currency`, `accent` (`#rrggbb`), `logo_data_uri` (or absent),
/// `seller {name, legal_name, address_lines[], tax_id, email, phone}`,
/// `customer {name, legal_name, address_lines[], shipping_lines[], has_shipping, tax_id, email}`,
/// `facts[] {label, value}`, `lines[] {line_no, description, qty, unit_price, tax, amount, line_tax}`,
/// `columns[] {title, num}` and `rows[] {cells[] {value, num}}` (the lines table of the document's kind),
/// `totals[] {label, value, emphasized}`, `terms[]`, `notes`, `footer`, `is_credit_note`,
/// `party_heading`, `closing_heading` (absent without `terms`), `signature_data_uri` (an order's signature, or absent).
/// `{{...}}` escapes HTML; the template must not use `{{{...}}}` for document text.
enum HTMLTemplate {
    static let builtIn = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} {{number}}</title>
<style>
  body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 10pt; color: #1a1a1a; margin: 0; background: #f4f4f4; }
  .page { max-width: 800px; margin: 24px auto; padding: 40px 48px; background: #fff; }
  h1 { color: {{accent}}; font-size: 22pt; margin: 0 0 16px 0; }
  h2 { color: {{accent}}; font-size: 8pt; letter-spacing: .08em; text-transform: uppercase; margin: 0 0 4px 0; }
  .top { display: flex; justify-content: space-between; align-items: flex-start; }
  .logo { max-width: 200px; max-height: 70px; }
  .columns { display: flex; gap: 32px; margin: 12px 0 24px 0; }
  .columns > div { flex: 1; }
  .seller-name { color: {{accent}}; font-size: 13pt; font-weight: bold; }
  .muted { color: #666; }
  table { border-collapse: collapse; width: 100%; }
  table.facts td { padding: 1px 8px 1px 0; }
  table.facts td.value { font-weight: bold; text-align: right; }
  table.lines th { color: {{accent}}; font-size: 8pt; text-align: left; border-bottom: 2px solid {{accent}}; padding: 4px; }
  table.lines td { border-bottom: 1px solid #ddd; padding: 4px; vertical-align: top; }
  table.lines .num { text-align: right; white-space: nowrap; }
  table.totals { width: auto; margin: 16px 0 24px auto; }
  table.totals td { padding: 2px 0 2px 24px; text-align: right; }
  table.totals tr.emphasized td { font-weight: bold; color: {{accent}}; border-top: 1px solid {{accent}}; }
  .currency { text-align: right; font-size: 8pt; color: #666; }
  footer { margin-top: 32px; padding-top: 8px; border-top: 1px solid {{accent}}; font-size: 8pt; color: #666; }
  .notes { white-space: pre-wrap; }
  .signature { max-width: 260px; max-height: 90px; }
</style>
</head>
<body>
<div class="page">
<div class="top">
  <h1>{{title}} {{number}}</h1>
  {{#logo_data_uri}}<img class="logo" src="{{logo_data_uri}}" alt="{{seller.name}}">{{/logo_data_uri}}
</div>
<div class="columns">
  <div>
    <div class="seller-name">{{seller.name}}</div>
    {{#seller.legal_name}}<div>{{seller.legal_name}}</div>{{/seller.legal_name}}
    {{#seller.address_lines}}<div>{{.}}</div>{{/seller.address_lines}}
    {{#seller.tax_id}}<div>Tax ID: {{seller.tax_id}}</div>{{/seller.tax_id}}
    {{#seller.email}}<div>{{seller.email}}</div>{{/seller.email}}
    {{#seller.phone}}<div>{{seller.phone}}</div>{{/seller.phone}}
  </div>
  <div>
    <table class="facts">
      {{#facts}}<tr><td class="muted">{{label}}</td><td class="value">{{value}}</td></tr>{{/facts}}
    </table>
  </div>
</div>
<div class="columns">
  <div>
    <h2>{{party_heading}}</h2>
    <div><strong>{{customer.name}}</strong></div>
    {{#customer.address_lines}}<div>{{.}}</div>{{/customer.address_lines}}
    {{#customer.tax_id}}<div>Tax ID: {{customer.tax_id}}</div>{{/customer.tax_id}}
    {{#customer.email}}<div>{{customer.email}}</div>{{/customer.email}}
  </div>
  {{#customer.has_shipping}}
  <div>
    <h2>Ship to</h2>
    <div><strong>{{customer.name}}</strong></div>
    {{#customer.shipping_lines}}<div>{{.}}</div>{{/customer.shipping_lines}}
  </div>
  {{/customer.has_shipping}}
</div>
{{#currency}}<div class="currency">Amounts in {{currency}}</div>{{/currency}}
<table class="lines">
  <thead><tr>{{#columns}}<th{{#num}} class="num"{{/num}}>{{title}}</th>{{/columns}}</tr></thead>
  <tbody>
  {{#rows}}<tr>{{#cells}}<td{{#num}} class="num"{{/num}}>{{value}}</td>{{/cells}}</tr>
  {{/rows}}
  </tbody>
</table>
<table class="totals">
  {{#totals}}<tr{{#emphasized}} class="emphasized"{{/emphasized}}><td>{{label}}</td><td>{{value}}</td></tr>
  {{/totals}}
</table>
{{#closing_heading}}<h2>{{closing_heading}}</h2>{{/closing_heading}}
{{#terms}}<p>{{.}}</p>{{/terms}}
{{#signature_data_uri}}<img class="signature" src="{{signature_data_uri}}" alt="signature">{{/signature_data_uri}}
{{#notes}}<h2>Notes</h2><p class="notes">{{notes}}</p>{{/notes}}
{{#footer}}<footer>{{footer}}</footer>{{/footer}}
</div>
</body>
</html>
"""#
}
