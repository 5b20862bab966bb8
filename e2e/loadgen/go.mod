module corsmatch.example/loadgen

go 1.22
