import FolioCLI

Folio.main()
