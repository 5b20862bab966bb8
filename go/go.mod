module github.com/corsmatch/corsmatch/go

go 1.24.0

require (
	github.com/jub0bs/cors v0.9.2
	github.com/rs/cors v1.11.1
)

require (
	golang.org/x/net v0.46.0 // indirect
	golang.org/x/text v0.30.0 // indirect
)
