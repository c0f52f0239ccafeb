from symhard.cli import main

main()
