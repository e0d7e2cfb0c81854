from deeptasks.cli import main

raise SystemExit(main())
