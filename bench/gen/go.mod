module example.com/benchgen

go 1.21
