"""matplotlib's own figures in the REPL (issue #24): the backend, shown in place, bounded, kept as values.

Each test runs code through :class:`ReplEngine` as a learner would and looks at what the run
produced: display blocks carrying a :class:`FigureImage`, in order with the text around them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the plots extra (the test extra installs it)")

from tui_lab.core.repl import figures  # noqa: E402
from tui_lab.core.repl.capture import DisplayBlock  # noqa: E402
from tui_lab.core.repl.engine import InputResult, ReplEngine  # noqa: E402
from tui_lab.core.repl.figures import show  # noqa: E402
from tui_lab.core.repl.figures.image import FigureImage, from_png, png_bytes  # noqa: E402
from tui_lab.core.repl.figures.store import FigureGone, FigureStore, save_format  # noqa: E402
from tui_lab.core.workspace import Workspace  # noqa: E402


@pytest.fixture
def engine(workspace: Workspace) -> Iterator[ReplEngine]:
    engine = ReplEngine(workspace)
    run(engine, "import matplotlib.pyplot as plt\nplt.close('all')")
    yield engine
    import matplotlib.pyplot as plt

    plt.close("all")


def run(engine: ReplEngine, source: str) -> InputResult:
    result = engine.run(source, width=80)
    assert result.error is None, result.error.traceback
    return result


def pictures(result: InputResult) -> list[FigureImage]:
    return [chunk.figure for chunk in result.outputs if chunk.figure is not None]


def test_the_repl_selects_tui_labs_backend_lazily(engine: ReplEngine) -> None:
    import matplotlib

    assert os.environ["MPLBACKEND"] == figures.BACKEND
    assert matplotlib.get_backend() == figures.BACKEND


def test_a_users_own_backend_choice_is_kept() -> None:
    environ = {"MPLBACKEND": "TkAgg"}
    assert figures.select_backend(environ) is False and environ["MPLBACKEND"] == "TkAgg"


def test_a_figure_is_an_image_of_its_size_and_aspect(engine: ReplEngine) -> None:
    result = run(engine, "fig = plt.figure(figsize=(4, 3), dpi=50)\nplt.plot([1, 4, 9]);")
    [image] = pictures(result)
    assert (image.width, image.height) == (200, 150)
    assert len(image.rgba) == 200 * 150 * 4
    assert [c.text for c in result.outputs] == [f"figure {image.number} (200×150)\n"], "the text log says what it is"
    assert image.rgba[:4] == bytes([255, 255, 255, 255]), "the corner is the figure's white face"
    assert not engine.workspace.namespace["plt"].get_fignums(), "shown at the end of the input, then closed"


def test_plt_show_shows_at_once_in_order_with_the_text(engine: ReplEngine) -> None:
    result = run(engine, "print('before')\nplt.plot([1, 2])\nplt.show()\nprint('after')")
    kinds = [(c.stream, c.figure is not None) for c in result.outputs]
    assert kinds == [("stdout", False), ("display", True), ("stdout", False)]


def test_a_figure_drawn_again_is_replaced_in_place(engine: ReplEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(show, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(show, "DUTY", 1e9)  # every redraw is shown live (no waiting on time)
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    result = run(
        engine,
        "fig, ax = plt.subplots()\nfor i in range(4):\n    ax.plot([0, i])\n    fig.canvas.draw()\nprint('done')",
    )
    [image] = pictures(result)
    assert len(seen) >= 4 and {b.block_id for b in seen} == {seen[0].block_id}, "one picture, redrawn in place"
    assert [c.stream for c in result.outputs] == ["display", "stdout"], "where it was first drawn"
    assert image.number == seen[0].figure.number  # type: ignore[union-attr]


def test_ipython_display_and_clear_output_replace_in_place(engine: ReplEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("IPython")
    monkeypatch.setattr(show, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(show, "DUTY", 1e9)
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    result = run(
        engine,
        "from IPython import display\nfig = plt.figure()\nfor i in range(3):\n    plt.plot([i, 0])\n"
        "    display.display(fig)\n    display.clear_output(wait=True)\n",
    )
    assert len(pictures(result)) == 1
    assert {b.block_id for b in seen} == {seen[0].block_id} and len(seen) >= 3
    text = "".join(c.text for c in result.outputs if c.stream != "display")
    assert "Figure(" not in text and "\x1b" not in text, "no printed stand-in, no escape codes"


def test_ipython_display_of_other_objects_still_prints(engine: ReplEngine) -> None:
    pytest.importorskip("IPython")
    result = run(engine, "from IPython import display\ndisplay.display('hello', 42)")
    assert "".join(c.text for c in result.outputs) == "hello 42\n"


def test_a_figure_as_the_value_is_its_picture_shown_once(engine: ReplEngine) -> None:
    result = run(engine, "fig, ax = plt.subplots()\nax.plot([3, 1, 2])\nfig")
    assert len(pictures(result)) == 1, "the value and pyplot's open figure are one picture"
    assert result.value_repr is None
    assert engine.workspace.namespace["_"] is engine.workspace.namespace["fig"]


def test_fig_show_and_figures_made_without_pyplot(engine: ReplEngine) -> None:
    result = run(
        engine,
        "from matplotlib.figure import Figure\nf = Figure(figsize=(2, 1), dpi=100)\nf.subplots().plot([1, 2])\nf",
    )
    [image] = pictures(result)
    assert (image.width, image.height) == (200, 100)


def test_a_run_shows_at_most_twenty_and_pyplot_never_holds_many(engine: ReplEngine) -> None:
    result = run(
        engine,
        "most = 0\nfor i in range(60):\n    plt.figure()\n    plt.plot([i, i + 1])\n    most = max(most, len(plt.get_fignums()))\n",
    )
    assert len(pictures(result)) == show.FIGURES_PER_RUN
    assert engine.workspace.namespace["most"] <= show.OPEN_LIMIT
    assert any("40 more figures" in note for note in result.notes), result.notes
    assert not engine.workspace.namespace["plt"].get_fignums()
    numbers = [image.number for image in pictures(result)]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), "shown in the order they were made"


def test_outside_an_input_nothing_is_shown() -> None:
    import matplotlib.pyplot as plt

    figures.select_backend()
    figure = plt.figure()
    assert show.display(figure) is False
    plt.show()  # as Agg: nothing, no error
    plt.close("all")


def test_each_shown_figure_is_kept_bounded_and_can_be_saved(engine: ReplEngine, tmp_path: Path) -> None:
    result = run(engine, "plt.plot([1, 4, 9])")
    [image] = pictures(result)
    kept = figures.store.store()
    assert kept.latest() == image.number
    png = kept.save(image.number, tmp_path / "f.png")
    svg = kept.save(image.number, tmp_path / "f.svg")
    assert png.read_bytes().startswith(b"\x89PNG") and b"<svg" in svg.read_bytes()
    again = from_png(image.number, png.read_bytes())
    assert (again.width, again.height, again.rgba) == (image.width, image.height, image.rgba)


def _image(number: int, size: int = 8) -> FigureImage:
    return FigureImage(number, size, size, bytes([number % 256, 0, 0, 255]) * size * size)


def test_the_store_forgets_the_oldest(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    kept = FigureStore(keep_png=3, keep_figures=2)
    for number in range(1, 6):
        kept.add(_image(number), figure=Figure())
    assert kept.numbers() == [5, 4, 3]
    assert [kept.get(n).figure is not None for n in (5, 4, 3)] == [True, True, False]
    with pytest.raises(FigureGone, match="figure 1 is no longer kept"):
        kept.get(1)
    with pytest.raises(ValueError, match="only be saved as PNG"):
        kept.save(3, tmp_path / "old.svg")
    limited = FigureStore(keep_bytes=len(png_bytes(_image(1))) * 2)
    for number in range(1, 10):
        limited.add(_image(number))
        limited.get(number)  # its PNG now (the store's thread may not have made it yet)
    assert len(limited) <= 2 and limited.png_bytes <= limited.keep_bytes


def test_saving_refuses_odd_formats_and_targets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PNG or SVG"):
        save_format(tmp_path / "figure.jpg")
    assert save_format(tmp_path / "figure") == "png"
    kept = FigureStore()
    kept.add(_image(1))
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        kept.save(1, fifo)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(OSError, match="directory"):
        kept.save(1, tmp_path / "folder.png")


def test_a_figure_image_refuses_the_wrong_number_of_bytes() -> None:
    with pytest.raises(ValueError):
        FigureImage(1, 2, 2, b"\0" * 15)


def test_nothing_of_matplotlib_is_imported_by_making_the_engine() -> None:
    import subprocess

    code = (
        "import sys\nfrom tui_lab.core.workspace import Workspace\nfrom tui_lab.core.repl.engine import ReplEngine\n"
        "ws = Workspace(); ws.load_preloads(); ReplEngine(ws)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL', 'IPython')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_notebook_export_keeps_the_code_that_made_a_figure_not_its_pixels(engine: ReplEngine) -> None:
    from tui_lab.core.session.export import build_notebook
    from tui_lab.core.session.model import bounded_entry
    from tui_lab.core.session.panestates import ReplState
    from tui_lab.core.session.schema import SessionState

    source = "plt.plot([1, 4, 9]);"
    result = run(engine, source)
    output = "".join(chunk.text for chunk in result.outputs)  # what the session records of a run
    log = ReplState(log=(bounded_entry(source, output, True),))
    notebook = build_notebook(SessionState(saved_at="2026-01-01T00:00:00+00:00", panes=(log,)))
    [cell] = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source == source]
    [stream] = cell.outputs
    assert stream.text == f"figure {pictures(result)[0].number} (640×480)\n"
    assert "image/png" not in str(notebook) and "iVBOR" not in str(notebook), "no pixels in the notebook"


def test_plt_pause_in_a_loop_animates_one_picture(engine: ReplEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(show, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(show, "DUTY", 1e9)
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    result = run(engine, "for i in range(3):\n    plt.clf()\n    plt.plot([0, i])\n    plt.pause(0.001)\n")
    assert len(pictures(result)) == 1
    assert len(seen) >= 3 and {b.block_id for b in seen} == {seen[0].block_id}


def test_a_figure_drawn_when_the_input_ends_is_not_also_shown_live(engine: ReplEngine) -> None:
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    result = run(engine, "plt.plot([1, 2]);")
    assert len(pictures(result)) == 1 and not seen, "the result holds it: laid out and drawn once, not twice"
