"""kmodel"""
