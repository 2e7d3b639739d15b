module github.com/eventscale/eventscale/internal/motoserver

go 1.26.8
