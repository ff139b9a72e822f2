#include "text/markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <mutex>

namespace confab::client {

namespace {
constexpr int kOptions = CMARK_OPT_HARDBREAKS | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE;

void registerExtensions()
{
    static std::once_flag once;
    std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

cmark_node *parse(const QByteArray &utf8, cmark_parser **parserOut)
{
    registerExtensions();
    cmark_parser *parser = cmark_parser_new(kOptions);
    for (const char *name : {"strikethrough", "autolink", "table"}) {
        if (cmark_syntax_extension *ext = cmark_find_syntax_extension(name))
            cmark_parser_attach_syntax_extension(parser, ext);
    }
    cmark_parser_feed(parser, utf8.constData(), size_t(utf8.size()));
    *parserOut = parser;
    return cmark_parser_finish(parser);
}

QString render(const QString &markdown, bool html)
{
    cmark_parser *parser = nullptr;
    cmark_node *doc = parse(markdown.toUtf8(), &parser);
    char *out = html ? cmark_render_html(doc, kOptions, cmark_parser_get_syntax_extensions(parser))
                     : cmark_render_plaintext(doc, CMARK_OPT_DEFAULT, 0);
    QString result = QString::fromUtf8(out).trimmed();
    free(out);
    cmark_node_free(doc);
    cmark_parser_free(parser);
    return result;
}
} // namespace

QString markdownToHtml(const QString &markdown)
{
    return render(markdown, true);
}

QString markdownToPlain(const QString &markdown)
{
    return render(markdown, false);
}

} // namespace confab::client
