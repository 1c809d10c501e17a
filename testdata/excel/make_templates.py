#!/usr/bin/python3
"""Build the Excel templates of the fill-step tests with openpyxl (Debian python3-openpyxl 3.0.9), so the
tests read files written by another library than the one the steps use.

Run from the repository root: /usr/bin/python3 testdata/excel/make_templates.py
"""
import os
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

HERE = os.path.dirname(os.path.abspath(__file__))
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def report_sheet(ws):
    ws.title = "Report"
    ws["A1"] = "AUTO DATA INSERT TEMPLATE"
    ws["A3"] = "QIP SECTION"
    ws["A4"] = "QIP_ANCHOR"
    ws["A4"].font = Font(bold=True)
    for i, h in enumerate(["ID", "Name", "Value", "Timestamp"]):
        ws.cell(5, i + 1, h).font = Font(bold=True)
    ws["A10"] = "QC SECTION"
    ws["A11"] = "QC_ANCHOR"
    for i, h in enumerate(["Batch", "Check_Type", "Result", "Inspector", "Date"]):
        ws.cell(12, i + 1, h).font = Font(bold=True)


def save(wb, name):
    wb.save(os.path.join(HERE, name))


# demos: remote uc2 template.xlsx, local uc2 report_template.xlsx (same content)
wb = Workbook()
report_sheet(wb.active)
save(wb, "template.xlsx")

# demos: template_both_modes.xlsx
wb = Workbook()
report_sheet(wb.active)
for name in ("DATA_qip", "DATA_qc"):
    ws = wb.create_sheet(name)
    ws["A1"] = "Data sheet " + name
    ws["A2"] = "Written by excel_fill_from_file"
    ws["A3"] = "Header goes to row 4"
    ws["A4"] = "START"
ws = wb.create_sheet("DATA_demo")
for r in range(1, 5):
    ws.cell(r, 1, "note %d" % r)
ws = wb.create_sheet("DATA_raw")
ws["A1"] = "Raw data"
for c in range(1, 21):
    h = ws.cell(4, c)
    h.fill = PatternFill("solid", fgColor="D9E1F2")
    h.font = Font(bold=True)
    h.border = BOX
    d = ws.cell(5, c)
    d.fill = PatternFill("solid", fgColor="FFFFFF")
    d.border = BOX
ws["A4"] = "old header"
save(wb, "template_both_modes.xlsx")

# An invoice with what row insertion must carry along: formulas (also from another sheet), merges, defined
# names (range, cell, whole column, constant, sheet-scoped), a data validation, a conditional format, a print
# area and a number format on the formula column.
wb = Workbook()
ws = wb.active
ws.title = "Invoice"
ws["A1"] = "INVOICE"
ws.merge_cells("A1:D1")
ws["A2"] = "No"
ws["B2"] = 17
ws["A4"] = "ITEMS"
for i, h in enumerate(["Item", "Qty", "Price", "Total"]):
    ws.cell(5, i + 1, h).font = Font(bold=True)
ws["A6"] = "first"
ws["B6"] = 2
ws["C6"] = 3.5
ws["D6"] = "=B6*C6"
ws["D6"].number_format = "0.00"
ws["A7"] = "second"
ws["B7"] = 1
ws["C7"] = 4
ws["D7"] = "=B7*C7"
ws["C8"] = "Total"
ws["D8"] = "=SUM(D6:D7)"
ws.merge_cells("A10:B11")
ws["A10"] = "Thank you"
dv = DataValidation(type="list", formula1='"paid,open"')
ws.add_data_validation(dv)
dv.add("E10")
ws.conditional_formatting.add(
    "D6:D8", CellIsRule(operator="greaterThan", formula=["100"], fill=PatternFill("solid", fgColor="FF0000"))
)
ws.print_area = "A1:E12"
other = wb.create_sheet("Summary")
other["A1"] = "Grand total"
other["B1"] = "=Invoice!D8*1"
other["B2"] = "='Invoice'!$A$10"
wb.defined_names.append(DefinedName("ItemsStart", attr_text="Invoice!$A$6"))
wb.defined_names.append(DefinedName("ItemsTable", attr_text="Invoice!$A$6:$D$7"))
wb.defined_names.append(DefinedName("GrandTotal", attr_text="Invoice!$D$8"))
wb.defined_names.append(DefinedName("InvoiceNo", attr_text="Invoice!$B$2"))
wb.defined_names.append(DefinedName("WholeA", attr_text="Invoice!$A:$A"))
wb.defined_names.append(DefinedName("VatRate", attr_text="0.19"))
wb.defined_names.append(DefinedName("Footer", attr_text="Invoice!$A$10", localSheetId=0))
save(wb, "invoice.xlsx")
