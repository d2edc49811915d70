module mmusim/guests/go

go 1.19
