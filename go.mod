module carfin

go 1.27.3
