"""`ingester fetch` and `reextract`: one URL now, and stored pages read again."""

from __future__ import annotations

import click

from ..config.feedlist import add_feeds
from ..pipeline import Pipeline
from ..render import version_diff
from ..types import ArticleOutcome, FeedSpec, FetchOutcome, Preview
from .app import App, follow_config, plural, poll_line


@click.command()
@click.argument("url")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write nothing: print the article layout and its diff against the archive "
    "(for a feed, its entries and which are archived).",
)
@click.option(
    "--add",
    is_flag=True,
    help="Subscribe: add the feed (or the first feed an HTML page advertises) to the config.",
)
@click.pass_obj
def fetch(app: App, url: str, dry_run: bool, add: bool) -> None:
    """Fetch URL now: a feed is polled, an article page is archived alone.

    Which one it is is told by the content, not the URL. An HTML page that advertises
    feeds (<link rel="alternate">) has them listed; --add subscribes to the first (and
    polls it now) instead of archiving the page.
    """
    if dry_run and add:
        raise click.UsageError("--dry-run writes nothing, --add writes the config: give one")
    config = app.config(required=False)

    async def work(pipeline: Pipeline) -> tuple[FetchOutcome, FetchOutcome | None]:
        outcome = await pipeline.fetch_url(url, dry_run=dry_run, feeds_only=add)
        if not add or outcome.kind == "feed":
            return outcome, None
        if not outcome.advertised:
            raise click.ClickException("nothing to subscribe to: the page advertises no feed")
        # Subscribing to a home page is subscribing to its feed: that is polled now.
        feed = await pipeline.fetch_url(outcome.advertised[0], feeds_only=True)
        if feed.kind != "feed":
            raise click.ClickException(f"{outcome.advertised[0]}: advertised, but not a feed")
        return outcome, feed

    outcome, feed = app.pipeline(config, work, captures=not dry_run)
    for shown in (outcome, feed):
        if shown is not None:
            _print_outcome(url, shown)
    if add:
        subscribed = feed or outcome
        feed_url = outcome.advertised[0] if feed is not None else url
        _subscribe(app, FeedSpec(url=feed_url, title=subscribed.feed_title))


def _print_outcome(url: str, outcome: FetchOutcome) -> None:
    if outcome.preview is not None:
        _print_preview(outcome.preview)
    elif outcome.poll is not None:
        click.echo(f"feed: {poll_line(outcome.poll)}")
        for error in outcome.poll.page_errors:
            click.echo(f"  {error}", err=True)
        if outcome.poll.more_page_errors:
            click.echo(f"  ... and {outcome.poll.more_page_errors} more", err=True)
    elif outcome.article is not None:
        article = outcome.article
        if article.error and not (article.new_article or article.new_version):
            if not outcome.advertised:
                raise click.ClickException(f"{url}: {article.error}")
            click.echo(f"article: not archived ({article.error})")
        else:
            state = "new version" if article.new_version else "unchanged"
            click.echo(f"article: {state}  {url}")
    for feed_url in outcome.advertised:
        click.echo(f"advertises feed: {feed_url}")


def _print_preview(preview: Preview) -> None:
    if preview.entries:
        for title, link, archived in preview.entries:
            click.echo(f"{'archived' if archived else 'new':<9} {link}  {title}")
        return
    if preview.text is None:
        click.echo("(the page yields no article)")
        return
    click.echo(preview.text, nl=False)
    click.echo("-" * 72)
    if preview.stored is None:
        click.echo("not in the archive yet: this would be version 1")
    elif preview.stored == preview.text:
        click.echo(f"identical to version {preview.stored_number}: no new version")
    else:
        label = f"version {preview.stored_number} (archived)"
        click.echo(version_diff(preview.stored, preview.text, label, "this fetch"), nl=False)


def _subscribe(app: App, spec: FeedSpec) -> None:
    """Add the feed, named from its title (feedlist.py), and let the archive follow."""
    added, _ = add_feeds(app.config_path, [spec])
    if added:
        follow_config(app)
        named = f" as {added[0].name}" if added[0].name else ""
        click.echo(f"subscribed: {spec.url} added to {app.config_path}{named}")
    else:
        click.echo(f"already subscribed: {spec.url}")


@click.command()
@click.argument("url", required=False)
@click.option("--all", "every", is_flag=True, help="Every archived article.")
@click.pass_obj
def reextract(app: App, url: str | None, every: bool) -> None:
    """Run extraction again over stored pages, with no network.

    A rendering that changes is stored as a re-extraction (the extractor changed, not the
    article), never as an edit by the publisher.
    """
    if bool(url) == every:
        raise click.UsageError("give one article URL or --all")
    config = app.config(required=False)

    async def work(pipeline: Pipeline) -> list[ArticleOutcome]:
        pages = pipeline.store.pages_to_reextract(url)
        return [
            await pipeline.reextract(page) for page in app.progress(pages, "reextract", len(pages))
        ]

    outcomes = app.pipeline(config, work)
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"{outcome.url}: {outcome.error}", err=True)
    changed = sum(o.new_version for o in outcomes)
    click.echo(f"re-extracted {plural(len(outcomes), 'article')}: {changed} changed")
