"""The typed grammar as data (``base.toml`` -> ``GrammarSpec``), its analysis and its Lark rendering."""
