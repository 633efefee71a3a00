"""litmus"""
