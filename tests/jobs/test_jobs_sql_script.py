"""Migration files are sent one statement at a time; the split must respect quotes and bodies."""

from __future__ import annotations

import pytest

from mediascribe.jobs.sql_script import split_statements


def test_semicolons_inside_text_bodies_and_comments_do_not_split() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (x text DEFAULT 'a;b', "odd;name" int);
    /* block; comment */
    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.x := 'it''s; fine'; RETURN NEW; END;
    $$;
    CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;y' $body$;
    SELECT 'trailing'
    """
    statements = split_statements(script)
    assert len(statements) == 4
    assert statements[0].endswith("""CREATE TABLE t (x text DEFAULT 'a;b', "odd;name" int)""")
    assert statements[1].startswith("/* block; comment */\n    CREATE FUNCTION f()")
    assert statements[1].endswith("$$")
    assert statements[2] == "CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;y' $body$"
    assert statements[3] == "SELECT 'trailing'"


def test_empty_pieces_and_comment_only_pieces_are_dropped() -> None:
    assert split_statements(";;  -- nothing\n ; /* none */ ;") == []


@pytest.mark.parametrize("script", ["SELECT 'open", "SELECT $$ open", 'SELECT "open'])
def test_unterminated_text_is_an_error(script: str) -> None:
    with pytest.raises(ValueError, match="unterminated"):
        split_statements(script)
