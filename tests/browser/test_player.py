"""The player in Chromium (issue 13, items 3, 4 and 6): encrypted HLS really decoded by the
browser through hls.js (the key fetched with the trainee's bearer token), seeking beyond
the furthest watched point and speed-up refused, the moving watermark, the "still there?"
check pausing when unanswered, a second tab superseding the first, credit moving, and
学习完 with the next-course link. The stack's dev media are 2-3 minute clips whose
durations the dev edition took from the media; intervals are shortened for the test
through window.__LSC_TEST__ (heartbeats, idle check), the clock is the dev clock."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import Page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TEST_KNOBS = ("window.__LSC_TEST__ = {heartbeat_s: 5, idle_check_s: 8, idle_answer_s: 3,"
              " watermark_move_s: 1};")


VIDEO_STATE = """() => { const v = document.querySelector('video');
  return v && {at: location.hash, currentTime: v.currentTime, readyState: v.readyState, seeking: v.seeking,
               paused: v.paused, rate: v.playbackRate, data: {...v.dataset},
               note: document.querySelector('#player-note')?.innerText,
               error: document.querySelector('#video-error')?.innerText,
               players: document.querySelectorAll('video').length}; }"""


def until(p, condition: str, timeout: float | None = None) -> None:
    """Wait for a condition on the player; when it never comes, fail with the player's
    state (position, readiness, its data and messages) rather than a bare timeout."""
    try:
        p.wait_for_function(condition, **({"timeout": timeout} if timeout else {}))
    except PlaywrightTimeout:
        raise AssertionError(f"never true: {condition}; the player: {p.evaluate(VIDEO_STATE)}") from None


def play_muted(p) -> None:
    """Start playback as a click on play would (muted: headless Chromium's autoplay policy)."""
    p.wait_for_function("document.querySelector('video') && document.querySelector('video').readyState >= 2",
                        timeout=20_000)
    p.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")


def test_the_player_plays_encrypted_hls_and_holds_a_real_viewer_to_the_rules(stack, new_page):
    # Given a paid trainee, enrolled on the first day of learning
    _email, token, _rid = stack.paid_trainee("欧阳明月")
    stack.set_clock("2026-04-13T08:00:00+08:00")
    stack.ok("POST", "/learning/enroll", {}, token=token)
    courses = {c["course_id"]: c for c in stack.ok("GET", "/learning/courses", token=token)["courses"]}
    page = new_page(1366, 900)
    p = page.p
    p.add_init_script(TEST_KNOBS)
    requests: list[tuple[str, str | None]] = []
    p.on("request", lambda r: requests.append((r.url, r.headers.get("authorization"))))
    page.sign_in(stack, token)

    # When they open the first course and press play
    page.goto("#/play/C01")
    video = p.locator("video")
    video.wait_for()
    assert "nodownload" in video.get_attribute("controlslist")
    assert "noplaybackrate" in video.get_attribute("controlslist")
    play_muted(p)
    # Then Chromium really decodes the encrypted stream (frames, time moving)
    p.wait_for_function("document.querySelector('video').currentTime > 2", timeout=20_000)
    assert p.evaluate("document.querySelector('video').videoWidth") == 426
    keys = [(u, a) for u, a in requests if "/learning/courses/C01/key?" in u]
    assert keys and keys[0][1] == f"Bearer {token}"  # the key was asked for with the token
    segments = [u for u, _a in requests if ".ts?" in u]
    assert segments and all(a is None for u, a in requests if ".ts?" in u)  # signed URLs only
    assert not any(".mp4" in u for u, _a in requests)  # the source MP4 is never fetched

    # And the watermark shows the masked name and the phone's tail, moving over the video
    mark = p.locator("#watermark")
    assert mark.inner_text() == "欧**月 尾号8000" and mark.is_visible()
    stage = p.locator("#player-stage").bounding_box()
    first = mark.bounding_box()
    assert stage["x"] <= first["x"] and first["x"] + first["width"] <= stage["x"] + stage["width"] + 1
    p.wait_for_function(f"document.querySelector('#watermark').getBoundingClientRect().x !== {first['x']}",
                        timeout=5_000)

    # When they drag the slider far ahead, or try 2x
    until(p, "document.querySelector('video').readyState >= 1")  # a slider to drag
    p.evaluate("document.querySelector('video').currentTime = 100")
    until(p, "Number(document.querySelector('video').dataset.seekBlocked || 0) >= 1")
    # Then they stay where they were watching, told why; and the speed stays 1x
    assert p.evaluate("document.querySelector('video').currentTime") < 15
    assert "只能拖动到已观看过的位置" in p.locator("#player-note").inner_text()
    p.evaluate("document.querySelector('video').playbackRate = 2")
    until(p, "document.querySelector('video').playbackRate === 1")
    assert "1 倍速" in p.locator("#player-note").inner_text()

    # And the watched time is credited by the player's own heartbeats
    until(p, "Number(document.querySelector('video').dataset.credited || 0) > 0", timeout=20_000)
    assert "本课已学 0 分 / 需 " in p.locator("#course-minutes").inner_text()
    assert "全部课程合计已学 0 分" in p.locator("#total-minutes").inner_text()
    page.shot("player-1366")

    # When nobody answers "still there?" (8 s of playing here; 3 s to answer)
    idle = p.locator("#idle-check")
    idle.wait_for(state="visible", timeout=20_000)
    assert "您还在观看吗？" in idle.inner_text()
    page.shot("player-idle-check-1366")
    until(p, "document.querySelector('video').dataset.idlePaused === 'true'", timeout=10_000)
    assert p.evaluate("document.querySelector('video').paused") is True
    # Then answering resumes the video
    p.get_by_role("button", name="继续观看").click()
    until(p, "!document.querySelector('video').paused")
    assert idle.is_hidden()

    # When the same trainee opens the course in a second tab
    tab = Page(p.context.new_page(), stack.base)
    tab.p.add_init_script(TEST_KNOBS)
    tab.goto("#/play/C01")
    tab.p.locator("video").wait_for()
    play_muted(tab.p)
    tab.p.wait_for_function("document.querySelector('video').currentTime > 1", timeout=20_000)
    # Then the first tab's next report is refused: it pauses and says why
    page.expect_http_error()  # the 409 SESSION_SUPERSEDED, shown as the message
    note = p.locator("#session-superseded")
    note.wait_for(timeout=20_000)
    assert "您已在其他窗口或设备开始播放，本窗口已暂停计时" in note.inner_text()
    assert p.evaluate("document.querySelector('video').paused") is True
    # and pressing play again does not resume it (the play event pauses it at once)
    p.evaluate("document.querySelector('video').play().catch(() => {})")
    p.wait_for_function("document.querySelector('video').paused", timeout=5_000)
    p.wait_for_timeout(500)
    assert p.evaluate("document.querySelector('video').paused") is True

    # When the second tab watches the whole course (the dev clock moves a minute per report;
    # the test sends the reports the player would send over the minutes)
    tab.p.evaluate("document.querySelector('video').pause()")
    required = courses["C01"]["required_s"]
    minute = 1
    position = 0
    while True:
        minute += 1
        position += 60
        stack.advance_clock(60)
        tab.p.evaluate(f"window.__lscBeat({position})")
        until(tab.p, f"Number(document.querySelector('video').dataset.credited) >= {min(required, position - 60 + 1)}")
        if tab.p.locator("#done-badge").count():
            break
        assert minute < 10
    # Then the course shows 学习完 and links the next course
    assert tab.p.locator("#done-badge").inner_text() == "学习完"
    nxt = tab.p.locator("#next-course")
    assert nxt.get_attribute("href") == "#/play/C02" and courses["C02"]["title"] in nxt.inner_text()
    tab.p.set_viewport_size({"width": 390, "height": 844})
    tab.shot("player-done-390")
    tab.assert_fits()
    tab.check_console()
    # And the course list shows the minutes, the badge and the total
    page.goto("#/learn")
    row = p.locator("[data-course-id=C01]")
    row.wait_for()
    assert "学习完" in row.inner_text()
    assert f"需 {-(-required // 60)} 分" in row.inner_text()
    assert "合计已学" in p.locator("#total-minutes").inner_text()
    p.set_viewport_size({"width": 390, "height": 844})
    page.shot("learn-list-390")
    page.assert_fits()
    # And opening the course again resumes where they left off (the furthest point reported)
    page.goto("#/play/C01")
    p.wait_for_function("document.querySelector('video') && document.querySelector('video').readyState >= 1",
                        timeout=20_000)
    assert p.locator("#hb-status").inner_text().startswith("上次看到 ")
    resume = int(p.evaluate("document.querySelector('video').dataset.resumeAt"))
    assert resume >= required
    p.wait_for_function(f"document.querySelector('video').currentTime >= {resume - 8}", timeout=10_000)


def test_a_busy_computer_can_still_go_back_into_what_it_played(stack, new_page):
    """A loaded or throttled tab fires the player's time updates seconds apart while the
    video plays on: the furthest watched point still follows, so going back a little into
    what was just played is not refused as a jump ahead."""
    _email, token, _rid = stack.paid_trainee("司马青")
    stack.set_clock("2026-04-13T08:00:00+08:00")
    stack.ok("POST", "/learning/enroll", {}, token=token)
    page = new_page(1366, 900)
    p = page.p
    p.add_init_script("window.__LSC_TEST__ = {heartbeat_s: 5, idle_check_s: 600, watermark_move_s: 1};")
    page.sign_in(stack, token)
    page.goto("#/play/C01")
    play_muted(p)
    until(p, "document.querySelector('video').currentTime > 1", timeout=20_000)
    # When the page's own thread is busy for 5 s (no time updates) while the video plays on
    before = p.evaluate("document.querySelector('video').currentTime")
    p.evaluate("() => { const end = performance.now() + 5000; while (performance.now() < end) {} }")
    until(p, f"document.querySelector('video').currentTime > {before + 5.5}", timeout=20_000)
    # And the viewer goes back 1 s into what was just played
    target = p.evaluate("() => { const v = document.querySelector('video'); v.currentTime -= 1;"
                        " return v.currentTime; }")
    assert target > before + 4
    until(p, "!document.querySelector('video').seeking")
    # Then the seek stands: nothing refused, no message
    state = p.evaluate(VIDEO_STATE)
    assert "seekBlocked" not in state["data"], state
    assert state["currentTime"] >= target - 0.5, state
    assert p.locator("#player-note").is_hidden()
    page.check_console()
