export OS_FLAVOUR=test
