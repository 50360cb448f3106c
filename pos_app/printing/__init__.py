"""Receipts, card labels and shift reports on paper or PDF, with Code128 barcodes that scan.

One of the three packages allowed to import Qt (with ``gui`` and ``scanner``): printing goes
through QPrinter, so the OS driver of any receipt printer works. Modules are imported by name
(``pos_app.printing.receipt_print``, ...) so that nothing here loads before it is needed.
"""
