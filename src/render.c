/*
 * render.c
 *		Templates: placeholders checked when a template is saved, and
 *		messages rendered from a jsonb context.
 *
 * A template is text with placeholders {{name}} and two sections that
 * repeat: {{#entries}} ... {{/entries}} once per entry of the message, and
 * {{#totals}} ... {{/totals}} once per currency.  Nothing else is special:
 * a template is never executed, and a placeholder only ever reads a key of
 * the context that dunning.action_message() builds.
 *
 * Amounts and dates are formatted for the template's language: French
 * "1 234,56 €" (a narrow no-break space between thousands, a no-break space
 * before the symbol) and "30/06/2026"; English "€1,234.56" and
 * "30 June 2026"; any other language ISO-like, "1234.56 EUR" and
 * "2026-06-30".  In an HTML body (letters) every value is escaped, and the
 * line breaks of an address become <br>; subjects and plain-text bodies are
 * left as they are.
 */
#include "postgres.h"

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(dunning_template_placeholders);
PG_FUNCTION_INFO_V1(dunning_render);

/* What a placeholder reads and how it is formatted. */
typedef enum PlaceholderKind
{
	PH_TEXT,					/* a string, as it is */
	PH_MULTILINE,				/* a string whose line breaks are <br> in HTML */
	PH_DATE,					/* 'YYYY-MM-DD', formatted for the language */
	PH_MONEY,					/* a number, with the currency of its object */
	PH_INTEGER,					/* a number, as it is */
	PH_DISPUTE,					/* a boolean: " (in dispute)" or nothing */
	PH_TOTALS					/* every total of the message, joined by " + " */
} PlaceholderKind;

/* Where a placeholder may appear. */
typedef enum Scope
{
	SCOPE_MESSAGE,				/* anywhere */
	SCOPE_ENTRY,				/* inside {{#entries}} */
	SCOPE_TOTAL					/* inside {{#totals}} */
} Scope;

typedef struct Placeholder
{
	const char *name;
	Scope		scope;
	PlaceholderKind kind;
} Placeholder;

/* Every placeholder there is (doc/templates.md describes each). */
static const Placeholder placeholders[] = {
	{"customer_name", SCOPE_MESSAGE, PH_TEXT},
	{"customer_id", SCOPE_MESSAGE, PH_TEXT},
	{"customer_address", SCOPE_MESSAGE, PH_MULTILINE},
	{"company_name", SCOPE_MESSAGE, PH_TEXT},
	{"company_address", SCOPE_MESSAGE, PH_MULTILINE},
	{"level", SCOPE_MESSAGE, PH_TEXT},
	{"step", SCOPE_MESSAGE, PH_TEXT},
	{"as_of", SCOPE_MESSAGE, PH_DATE},
	{"executed_on", SCOPE_MESSAGE, PH_DATE},
	{"reminder_count", SCOPE_MESSAGE, PH_INTEGER},
	{"entry_count", SCOPE_MESSAGE, PH_INTEGER},
	{"totals", SCOPE_MESSAGE, PH_TOTALS},
	{"document_number", SCOPE_ENTRY, PH_TEXT},
	{"document_date", SCOPE_ENTRY, PH_DATE},
	{"due_date", SCOPE_ENTRY, PH_DATE},
	{"amount", SCOPE_ENTRY, PH_MONEY},
	{"open_amount", SCOPE_ENTRY, PH_MONEY},
	{"currency", SCOPE_ENTRY, PH_TEXT},
	{"days_overdue", SCOPE_ENTRY, PH_INTEGER},
	{"dispute", SCOPE_ENTRY, PH_DISPUTE},
	{"total", SCOPE_TOTAL, PH_MONEY},
	{"currency", SCOPE_TOTAL, PH_TEXT},
};

#define SECTION_ENTRIES "entries"
#define SECTION_TOTALS "totals"
/* The context's keys for the sections' arrays. */
#define CONTEXT_ENTRIES "entries"
#define CONTEXT_TOTALS "total_list"
#define MAX_NAME 64

typedef enum Language
{
	LANG_FR,
	LANG_EN,
	LANG_OTHER
} Language;

/* One parsed tag: {{name}}, {{#name}} or {{/name}}. */
typedef struct Tag
{
	char		sigil;			/* '\0', '#' or '/' */
	char		name[MAX_NAME + 1];
	const char *end;			/* first character after the closing }} */
} Tag;

static const Placeholder *
find_placeholder(const char *name, Scope scope)
{
	for (size_t i = 0; i < lengthof(placeholders); i++)
	{
		if (strcmp(placeholders[i].name, name) != 0)
			continue;
		if (placeholders[i].scope == SCOPE_MESSAGE || placeholders[i].scope == scope)
			return &placeholders[i];
	}
	return NULL;
}

/*
 * Reads the tag that starts at p ("{{").  Raises an error, naming where it
 * is (what), for a tag that is not closed or whose name is not a plain
 * identifier.
 */
static void
read_tag(const char *p, const char *what, Tag *tag)
{
	const char *q = p + 2;
	const char *close;
	int			len;

	while (*q == ' ')
		q++;
	tag->sigil = '\0';
	if (*q == '#' || *q == '/')
		tag->sigil = *q++;
	close = strstr(q, "}}");
	if (close == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 /* the start of it, cut between characters, not inside one */
				 errmsg("unclosed placeholder \"%.*s\" in %s", pg_mbcliplen(p, strlen(p), 20), p, what),
				 errhint("A placeholder is written {{name}}.")));
	len = close - q;
	while (len > 0 && q[len - 1] == ' ')
		len--;
	if (len == 0 || len > MAX_NAME || strspn(q, "abcdefghijklmnopqrstuvwxyz_") < (size_t) len)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("malformed placeholder \"%.*s\" in %s", (int) (close + 2 - p), p, what),
				 errhint("A placeholder is written {{name}}, with a name in lower case letters and underscores.")));
	memcpy(tag->name, q, len);
	tag->name[len] = '\0';
	tag->end = close + 2;
}

/*
 * Checks a template: every placeholder known where it stands, sections
 * balanced and not nested, none in a subject.  Adds the names used to
 * *used ("#entries" for a section).
 */
static void
check_template(const char *template, const char *what, bool subject, ArrayBuildState **used)
{
	const char *p = template;
	Scope		scope = SCOPE_MESSAGE;
	const char *open_section = NULL;

	while ((p = strstr(p, "{{")) != NULL)
	{
		Tag			tag;

		read_tag(p, what, &tag);
		if (tag.sigil == '#')
		{
			if (subject)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("section {{#%s}} in %s: a subject is one line, without sections", tag.name, what)));
			if (open_section != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("section {{#%s}} opens inside section {{#%s}} in %s", tag.name, open_section, what),
						 errhint("Close {{#%s}} with {{/%s}} first: sections do not nest.", open_section, open_section)));
			if (strcmp(tag.name, SECTION_ENTRIES) == 0)
			{
				scope = SCOPE_ENTRY;
				open_section = SECTION_ENTRIES;
			}
			else if (strcmp(tag.name, SECTION_TOTALS) == 0)
			{
				scope = SCOPE_TOTAL;
				open_section = SECTION_TOTALS;
			}
			else
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("unknown section {{#%s}} in %s", tag.name, what),
						 errhint("The sections are {{#entries}} and {{#totals}}.")));
			*used = accumArrayResult(*used, CStringGetTextDatum(psprintf("#%s", tag.name)), false, TEXTOID,
									 CurrentMemoryContext);
		}
		else if (tag.sigil == '/')
		{
			if (open_section == NULL || strcmp(tag.name, open_section) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("{{/%s}} closes no open section in %s", tag.name, what),
						 open_section ? errhint("The open section is {{#%s}}.", open_section) : 0));
			open_section = NULL;
			scope = SCOPE_MESSAGE;
		}
		else
		{
			if (find_placeholder(tag.name, scope) == NULL)
			{
				bool		elsewhere = find_placeholder(tag.name, SCOPE_ENTRY) || find_placeholder(tag.name, SCOPE_TOTAL);

				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("unknown placeholder {{%s}} in %s", tag.name, what),
						 elsewhere ? errhint("{{%s}} is known inside {{#%s}} ... {{/%s}} only.", tag.name,
											 find_placeholder(tag.name, SCOPE_ENTRY) ? SECTION_ENTRIES : SECTION_TOTALS,
											 find_placeholder(tag.name, SCOPE_ENTRY) ? SECTION_ENTRIES : SECTION_TOTALS)
						 : errhint("doc/templates.md lists the placeholders.")));
			}
			*used = accumArrayResult(*used, CStringGetTextDatum(tag.name), false, TEXTOID, CurrentMemoryContext);
		}
		p = tag.end;
	}
	if (open_section != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("section {{#%s}} is not closed in %s", open_section, what),
				 errhint("End it with {{/%s}}.", open_section)));
}

/*
 * dunning.template_placeholders(template text, what text, subject boolean)
 * returns text[]: the placeholders a template uses, after checking it;
 * "what" names the template in the errors.
 */
Datum
dunning_template_placeholders(PG_FUNCTION_ARGS)
{
	char	   *template = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *what = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		subject = PG_GETARG_BOOL(2);
	ArrayBuildState *used = NULL;

	check_template(template, what, subject, &used);
	if (used == NULL)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	PG_RETURN_DATUM(makeArrayResult(used, CurrentMemoryContext));
}

/* Formatting. */

static void
append_escaped(StringInfo out, const char *s, bool html, bool multiline)
{
	if (!html)
	{
		appendStringInfoString(out, s);
		return;
	}
	for (; *s; s++)
	{
		switch (*s)
		{
			case '&':
				appendStringInfoString(out, "&amp;");
				break;
			case '<':
				appendStringInfoString(out, "&lt;");
				break;
			case '>':
				appendStringInfoString(out, "&gt;");
				break;
			case '"':
				appendStringInfoString(out, "&quot;");
				break;
			case '\'':
				appendStringInfoString(out, "&#39;");
				break;
			case '\n':
				appendStringInfoString(out, multiline ? "<br>\n" : "\n");
				break;
			default:
				appendStringInfoChar(out, *s);
		}
	}
}

static const char *
currency_symbol(const char *code)
{
	if (strcmp(code, "EUR") == 0)
		return "\u20ac";
	if (strcmp(code, "GBP") == 0)
		return "\u00a3";
	if (strcmp(code, "USD") == 0)
		return "$";
	return NULL;
}

/* An amount, rounded to cents, for the language: see the file header. */
static char *
format_money(Numeric amount, const char *currency, Language lang)
{
	Numeric		rounded = DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(amount),
															  Int32GetDatum(2)));
	char	   *digits = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rounded)));
	bool		negative = (digits[0] == '-');
	char	   *whole = negative ? digits + 1 : digits;
	char	   *dot = strchr(whole, '.');
	const char *cents = dot ? dot + 1 : "00";
	int			whole_len = dot ? dot - whole : (int) strlen(whole);
	const char *symbol = currency ? currency_symbol(currency) : NULL;
	StringInfoData number;
	StringInfoData out;

	if (lang == LANG_OTHER)
		return psprintf("%s%.*s.%s%s%s", negative ? "-" : "", whole_len, whole, cents,
						currency ? " " : "", currency ? currency : "");

	initStringInfo(&number);
	for (int i = 0; i < whole_len; i++)
	{
		if (i > 0 && (whole_len - i) % 3 == 0)
			appendStringInfoString(&number, lang == LANG_FR ? "\u202f" : ",");
		appendStringInfoChar(&number, whole[i]);
	}
	appendStringInfo(&number, "%s%s", lang == LANG_FR ? "," : ".", cents);

	initStringInfo(&out);
	if (negative)
		appendStringInfoChar(&out, '-');
	if (lang == LANG_FR)
	{
		appendStringInfoString(&out, number.data);
		if (currency)
			appendStringInfo(&out, "\u00a0%s", symbol ? symbol : currency);
	}
	else if (currency == NULL)
		appendStringInfoString(&out, number.data);
	else if (symbol)
		appendStringInfo(&out, "%s%s", symbol, number.data);
	else
		appendStringInfo(&out, "%s\u00a0%s", currency, number.data);
	return out.data;
}

/* 'YYYY-MM-DD' for the language; anything else is left as it is. */
static char *
format_date(const char *iso, Language lang)
{
	static const char *const months[] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"
	};
	int			y,
				m,
				d;
	char		rest;

	if (sscanf(iso, "%4d-%2d-%2d%c", &y, &m, &d, &rest) != 3 || m < 1 || m > 12)
		return pstrdup(iso);
	if (lang == LANG_FR)
		return psprintf("%02d/%02d/%04d", d, m, y);
	if (lang == LANG_EN)
		return psprintf("%d %s %04d", d, months[m - 1], y);
	return pstrdup(iso);
}

/* The string of a jsonb scalar; NULL for a JSON null or a missing key. */
static char *
scalar_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

static bool
get_key(JsonbContainer *object, const char *key, JsonbValue *result)
{
	if (object == NULL || !JsonContainerIsObject(object))
		return false;
	return getKeyJsonValueFromContainer(object, key, strlen(key), result) != NULL;
}

/* The element array of a section; NULL when the context has none. */
static JsonbContainer *
section_array(JsonbContainer *message, const char *section)
{
	JsonbValue	v;
	const char *key = strcmp(section, SECTION_ENTRIES) == 0 ? CONTEXT_ENTRIES : CONTEXT_TOTALS;

	if (!get_key(message, key, &v) || v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		return NULL;
	return v.val.binary.data;
}

/* The totals of a message, one per currency, never summed. */
static char *
format_totals(JsonbContainer *message, Language lang)
{
	JsonbContainer *totals = section_array(message, SECTION_TOTALS);
	StringInfoData out;
	int			n = totals ? JsonContainerSize(totals) : 0;

	initStringInfo(&out);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *total = getIthJsonbValueFromContainer(totals, i);
		JsonbValue	amount;
		JsonbValue	currency;

		if (total == NULL || total->type != jbvBinary ||
			!get_key(total->val.binary.data, "total", &amount) || amount.type != jbvNumeric)
			continue;
		if (out.len > 0)
			appendStringInfoString(&out, " + ");
		appendStringInfoString(&out, format_money(amount.val.numeric,
												  get_key(total->val.binary.data, "currency", &currency)
												  ? scalar_text(&currency) : NULL,
												  lang));
	}
	return out.data;
}

/*
 * Appends the value of a placeholder: read from the innermost object
 * (an entry or a total) first, then from the message.
 */
static void
append_value(StringInfo out, const Placeholder *ph, JsonbContainer *inner, JsonbContainer *message,
			 Language lang, bool html)
{
	JsonbValue	v;
	char	   *s = NULL;

	if (ph->kind == PH_TOTALS)
	{
		append_escaped(out, format_totals(message, lang), html, false);
		return;
	}
	if (!get_key(inner, ph->name, &v) && !get_key(message, ph->name, &v))
		return;
	switch (ph->kind)
	{
		case PH_MONEY:
			if (v.type == jbvNumeric)
			{
				JsonbValue	cur;
				char	   *currency = get_key(inner, "currency", &cur) ? scalar_text(&cur) : NULL;

				s = format_money(v.val.numeric, currency, lang);
			}
			break;
		case PH_DATE:
			s = scalar_text(&v);
			if (s)
				s = format_date(s, lang);
			break;
		case PH_DISPUTE:
			if (v.type == jbvBool && v.val.boolean)
				s = pstrdup(lang == LANG_FR ? " (en litige)" : " (in dispute)");
			break;
		default:
			s = scalar_text(&v);
	}
	if (s)
		append_escaped(out, s, html, ph->kind == PH_MULTILINE);
}


/* Renders text[start, stop) once, for one entry or total (or none). */
static void
render_span(StringInfo out, const char *start, const char *stop, JsonbContainer *inner,
			JsonbContainer *message, Scope scope, Language lang, bool html)
{
	const char *p = start;

	while (p < stop)
	{
		const char *open = strstr(p, "{{");
		Tag			tag;

		if (open == NULL || open >= stop)
		{
			appendBinaryStringInfo(out, p, stop - p);
			return;
		}
		appendBinaryStringInfo(out, p, open - p);
		read_tag(open, "the template", &tag);
		if (tag.sigil == '#')
		{
			/* The section's end: the matching {{/name}} (checked on save). */
			char	   *closing = psprintf("{{/%s}}", tag.name);
			const char *section_end = strstr(tag.end, closing);
			const char *after;
			JsonbContainer *elements = section_array(message, tag.name);
			Scope		inner_scope = strcmp(tag.name, SECTION_ENTRIES) == 0 ? SCOPE_ENTRY : SCOPE_TOTAL;

			if (section_end == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("section {{#%s}} is not closed in the template", tag.name)));
			after = section_end + strlen(closing);
			if (elements != NULL)
			{
				int			n = JsonContainerSize(elements);

				for (int i = 0; i < n; i++)
				{
					JsonbValue *element = getIthJsonbValueFromContainer(elements, i);

					if (element != NULL && element->type == jbvBinary)
						render_span(out, tag.end, section_end, element->val.binary.data, message,
									inner_scope, lang, html);
				}
			}
			p = after;
			continue;
		}
		if (tag.sigil == '\0')
		{
			const Placeholder *ph = find_placeholder(tag.name, scope);

			if (ph == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("unknown placeholder {{%s}} in the template", tag.name)));
			append_value(out, ph, inner, message, lang, html);
		}
		p = tag.end;
	}
}

/*
 * dunning.render(template text, context jsonb, language text, html boolean)
 * returns text.
 */
Datum
dunning_render(PG_FUNCTION_ARGS)
{
	char	   *template = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *context = PG_GETARG_JSONB_P(1);
	char	   *language = text_to_cstring(PG_GETARG_TEXT_PP(2));
	bool		html = PG_GETARG_BOOL(3);
	Language	lang = strcmp(language, "fr") == 0 ? LANG_FR : strcmp(language, "en") == 0 ? LANG_EN : LANG_OTHER;
	StringInfoData out;

	if (!JB_ROOT_IS_OBJECT(context))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the context of a message must be a jsonb object")));
	initStringInfo(&out);
	render_span(&out, template, template + strlen(template), NULL, &context->root, SCOPE_MESSAGE, lang, html);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
