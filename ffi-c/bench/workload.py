#!/usr/bin/env python3
"""Writes the benchmark workload: an s3 configuration of 100 rules (the s3 limit), each with an
exact origin and a glob, three methods, allowed headers and exposed headers. The requests the
benchmarks send are in bench.c and examples/evaluate_bench.rs (the same three in both)."""
import sys

rules = []
for i in range(100):
    rules.append(
        "<CORSRule>"
        f"<AllowedOrigin>https://app{i}.example{i % 7}.com</AllowedOrigin>"
        f"<AllowedOrigin>https://*.tenant{i}.example.net</AllowedOrigin>"
        "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>"
        "<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>"
        f"<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-meta-r{i}</ExposeHeader>"
        "<MaxAgeSeconds>3000</MaxAgeSeconds>"
        "</CORSRule>"
    )
sys.stdout.write("<CORSConfiguration>" + "".join(rules) + "</CORSConfiguration>\n")
