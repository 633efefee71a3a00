"""revisions"""
