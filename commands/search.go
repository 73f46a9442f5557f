package commands

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

const (
	searchPerPage  = 8
	maxSearchRunes = 200
)

// search finds initiatives and the progress notes the caller may read,
// accents ignored, French and English words stemmed, best match first.
func (rt *Router) search(ctx context.Context, r *Request) (Reply, error) {
	if strings.TrimSpace(r.Args) == "" {
		return Reply{}, userError("search.missing", SlashCommand, r.Verb)
	}
	if utf8.RuneCountInString(r.Args) > maxSearchRunes {
		return Reply{}, userError("search.too_long", maxSearchRunes)
	}
	hits, more, err := rt.store.Search(ctx, r.Viewer(), r.Args, searchPerPage, r.Page*searchPerPage)
	if err != nil {
		return Reply{}, err
	}
	blocks := []slack.Block{header(r.T("search.title", r.Args))}
	plain := []string{esc(r.T("search.title", r.Args))}
	for _, h := range hits {
		var head string
		where := r.T("funding.regional")
		if h.QuartierName != nil {
			where = *h.QuartierName
		}
		if h.Kind == "initiative" {
			head = fmt.Sprintf("*%s `%s`* — %s", r.T("search.initiative"), esc(deref(h.Code)), esc(where))
		} else {
			head = fmt.Sprintf("*%s* — %s, %s", r.T("search.note"), esc(where),
				i18n.Month(r.Lang, h.Period.Year(), int(h.Period.Month())))
		}
		blocks = append(blocks, section(head+"\n>"+highlight(h.Excerpt)))
		plain = append(plain, esc(strings.NewReplacer(store.MatchStart, "", store.MatchStop, "").Replace(h.Excerpt)))
	}
	if len(hits) == 0 {
		msg := r.T("search.none", esc(r.Args))
		if r.ReaderRole() == domain.RoleGuest {
			msg += "\n" + r.T("search.guest_scope")
		}
		blocks = append(blocks, section(msg))
		plain = append(plain, msg)
	} else if r.ReaderRole() == domain.RoleGuest {
		blocks = append(blocks, contextBlock(r.T("search.guest_scope")))
	}
	total := r.Page*searchPerPage + len(hits)
	if more {
		total++ // enough for the pager to offer a next page
	}
	blocks = append(blocks, pager(r, total, searchPerPage)...)
	return Reply{Text: strings.Join(plain, "\n"), Blocks: blocks}, nil
}

// highlight escapes an excerpt and bolds the words ts_headline marked.
func highlight(excerpt string) string {
	var b, chunk strings.Builder
	flush := func() { b.WriteString(esc(chunk.String())); chunk.Reset() }
	for _, r := range strings.Join(strings.Fields(excerpt), " ") {
		if s := string(r); s == store.MatchStart || s == store.MatchStop {
			flush()
			b.WriteString("*")
			continue
		}
		chunk.WriteRune(r)
	}
	flush()
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
