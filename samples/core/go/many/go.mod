module many

go 1.22
