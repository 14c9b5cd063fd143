module heapgen

go 1.22
