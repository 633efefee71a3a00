"""A legacy static importer that only knows sg_table, one module per revision."""
