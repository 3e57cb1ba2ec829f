// Learning pages: the course list with progress, and the player: encrypted HLS through
// hls.js (the key only for this window's play session), heartbeats, no seeking beyond the
// furthest watched point, 1x only, "still there?" checks, a moving watermark.
import { getSession, get, post, refreshSession } from "./api.js";
import { currentEdition, go } from "./app.js";
import { API_BASE, HEARTBEAT_S } from "./config.js";
import { appNow, busy, card, clear, dayText, endText, flash, h, progress, rangeText, showError, when } from "./ui.js";

const TEST = () => window.__LSC_TEST__ || {};
const IDLE_ANSWER_S = 60;

/** "已学 X 分 / 需 Y 分": minutes credited (down) and required (up). */
export function minutesText(creditedS, requiredS) {
  return `已学 ${Math.floor((creditedS || 0) / 60)} 分 / 需 ${Math.ceil((requiredS || 0) / 60)} 分`;
}

function totals(courses) {
  return courses.reduce((t, c) => ({
    credited: t.credited + (c.credited_s || 0),
    required: t.required + (c.required_s || 0),
  }), { credited: 0, required: 0 });
}

function nextCourse(courses, courseId) {
  const at = courses.findIndex((c) => c.course_id === courseId);
  const after = [...courses.slice(at + 1), ...courses.slice(0, Math.max(at, 0))];
  return after.find((c) => !c.completed) || null;
}

function playLink(c) {
  const verb = c.completed ? "重新学习" : c.credited_s ? "继续学习" : "开始学习";
  // the accessible name starts with the visible text (and names the course)
  return h("p", {}, h("a", { class: "btn btn-small", href: `#/play/${c.course_id}`, "aria-label": `${verb} ${c.title}` }, verb));
}

// --- learning --------------------------------------------------------------------------
async function learnPage(main) {
  main.append(h("h1", {}, "我的课程"));
  const ed = await currentEdition(true);
  let data;
  try {
    data = await get("/learning/courses");
  } catch (err) {
    main.append(card("在线学习", h("p", { class: "alert alert-info" }, err.message),
      h("p", { class: "small muted" }, `在线学习时间：${rangeText(ed.windows.learning.opens, ed.windows.learning.closes)}。`)));
    return;
  }
  const courses = data.courses || [];
  if (data.learning_open === false) {
    const before = appNow() < new Date(data.learning_opens || ed.windows.learning.opens).getTime();
    main.append(card("在线学习", h("p", { class: "alert alert-info", id: "learning-closed" }, before
      ? `在线学习自 ${dayText(data.learning_opens || ed.windows.learning.opens)} 起开放，届时即可选学和观看课程。`
      : `在线学习已于 ${endText(data.learning_closes || ed.windows.learning.closes)} 结束，不能补学。`)));
  } else if (data.enrolled === false) {
    const btn = h("button", { type: "button", class: "btn btn-primary", id: "enroll" }, "选学本届全部课程");
    btn.addEventListener("click", () => busy(btn, async () => {
      await post("/learning/enroll", {});
      flash("选学成功", "success");
      go("learn");
    }));
    main.append(card("选学", h("p", {}, `本届共 ${courses.length} 门课程、${ed.total_hours || ""} 学时。选学后即可开始学习。`), btn));
  }
  const done = courses.filter((c) => c.completed).length;
  const total = totals(courses);
  const canPlay = !(data.enrolled === false || data.learning_open === false);
  const list = h("ul", { class: "courses" }, courses.map((c) => h("li", { dataset: { courseId: c.course_id } },
    h("div", { class: "course-head" },
      h("strong", {}, c.title), h("span", { class: "small muted" }, `${c.hours} 学时`),
      c.completed ? h("span", { class: "badge badge-done" }, "学习完") : null),
    progress(c.credited_s || 0, c.required_s || 1, `${c.title} 学习进度`),
    h("p", { class: "small course-minutes" }, minutesText(c.credited_s, c.required_s)),
    canPlay ? playLink(c) : null)));
  main.append(card(`课程（已学完 ${done}/${courses.length}）`,
    progress(total.credited, total.required || 1, "全部课程学习进度"),
    h("p", { class: "small", id: "total-minutes" }, `合计${minutesText(total.credited, total.required)}`),
    h("p", { class: "small muted" }, `学习截止：${endText(ed.windows.learning.closes)}，过期不能补学。视频仅供在线观看，禁止录制、下载和转播。`),
    list),
  done === courses.length && courses.length ? card("下一步", h("p", {}, h("a", { href: "#/questionnaire" }, "填写课程效果问卷"))) : "");
}

// --- the player ------------------------------------------------------------------------
let hlsScript = null;

/** hls.js, vendored (web/vendor.json), loaded once when a video is first played. */
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsScript) {
    hlsScript = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = "vendor/hls.light.min.js";
      s.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error("hls.js")));
      s.onerror = () => {
        hlsScript = null;
        reject(new Error("hls.js"));
      };
      document.head.append(s);
    });
  }
  return hlsScript;
}

const apiRoot = () => new URL(API_BASE || "/", location.href).href.replace(/\/$/, "");

/** Requests to the platform (playlist, key) carry the trainee's token; the storage's
 * signed segment URLs must not (they carry their own signature). */
function xhrSetup(xhr, url) {
  if (!url.startsWith(`${apiRoot()}/learning/`)) return;
  xhr.open("GET", url, true);
  const s = getSession();
  if (s && s.token) xhr.setRequestHeader("Authorization", `Bearer ${s.token}`);
  if (url.includes("/key?")) xhr.setRequestHeader("Accept", "application/octet-stream");
}

/** The API's Chinese message out of a failed hls.js request, when it sent one. */
function messageOf(data) {
  const resp = data && data.response;
  let text = resp && typeof resp.data === "string" ? resp.data : resp && resp.text;
  if (!text && resp && resp.data instanceof ArrayBuffer) text = new TextDecoder().decode(resp.data);
  if (!text && data && data.networkDetails && typeof data.networkDetails.response === "string") text = data.networkDetails.response;
  try {
    const body = JSON.parse(text || "null");
    return body && body.Message ? { code: body.Code, message: body.Message } : null;
  } catch {
    return null;
  }
}

function stamp(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
}

async function playPage(main, courseId) {
  const data = await get("/learning/courses");
  const courses = data.courses || [];
  const course = courses.find((c) => c.course_id === courseId);
  main.append(h("h1", {}, course ? course.title : "课程"));
  if (!course) {
    main.append(card("找不到课程", h("a", { href: "#/learn" }, "返回我的课程")));
    return;
  }
  let link;
  try {
    link = await get(`/learning/courses/${encodeURIComponent(courseId)}/play`);
  } catch (err) {
    main.append(card("暂不能播放", h("p", { class: "alert alert-error", role: "alert" }, err.message),
      h("p", {}, h("a", { href: "#/learn" }, "返回我的课程"))));
    return;
  }
  const test = TEST();
  const resumeAt = link.position_s ?? course.position_s ?? 0;
  let furthest = resumeAt; // no seeking beyond what was watched (the server's furthest report)
  const video = h("video", {
    controls: true, controlslist: "nodownload noremoteplayback noplaybackrate nofullscreen",
    disablepictureinpicture: true, disableremoteplayback: true, preload: "auto", playsinline: true,
    "aria-label": `${course.title} 课程视频`,
  });
  video.addEventListener("contextmenu", (e) => e.preventDefault());
  video.dataset.resumeAt = String(resumeAt);
  const mark = h("div", { class: "watermark", id: "watermark", "aria-hidden": "true" }, link.watermark || "");
  const idleBox = h("div", { class: "idle-check", id: "idle-check", role: "alertdialog", "aria-labelledby": "idle-q", hidden: true },
    h("p", { id: "idle-q" }, "您还在观看吗？"),
    h("p", { class: "small", id: "idle-countdown" }, ""));
  const idleBtn = h("button", { type: "button", class: "btn btn-primary", id: "idle-continue" }, "继续观看");
  idleBox.append(idleBtn);
  const stage = h("div", { class: "player-stage", id: "player-stage" }, video, mark, idleBox);
  const fullBtn = h("button", { type: "button", class: "btn btn-small", id: "fullscreen" }, "全屏");
  fullBtn.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (stage.requestFullscreen) stage.requestFullscreen().catch(() => {}); // the watermark stays on
  });
  const note = h("p", { class: "alert alert-info", id: "player-note", role: "status", hidden: true });
  const say = (text, kind = "info") => {
    note.className = `alert alert-${kind}`;
    note.textContent = text;
    note.hidden = false;
  };
  const supersededNote = h("p", { class: "alert alert-error", id: "session-superseded", role: "alert", hidden: true });
  const loadError = h("p", { class: "alert alert-error", id: "video-error", role: "alert", hidden: true });
  const failed = (text) => {
    loadError.textContent = text;
    loadError.hidden = false;
    video.pause();
  };

  // progress: this course and all courses
  const state = { credited: course.credited_s || 0, required: link.required_s || course.required_s || 1, completed: !!link.completed };
  const bar = h("div", { id: "course-progress" });
  const minutes = h("p", { class: "small", id: "course-minutes" });
  const totalLine = h("p", { class: "small muted", id: "total-minutes" });
  const doneBox = h("div", { id: "course-done" });
  const showProgress = () => {
    clear(bar).append(progress(state.credited, state.required, "本课学习进度"));
    minutes.textContent = `本课${minutesText(state.credited, state.required)}`;
    const all = courses.map((c) => (c.course_id === courseId ? { ...c, credited_s: state.credited, required_s: state.required, completed: state.completed } : c));
    const t = totals(all);
    totalLine.textContent = `全部课程合计${minutesText(t.credited, t.required)}（已学完 ${all.filter((c) => c.completed).length}/${all.length} 门）`;
    clear(doneBox);
    if (state.completed) {
      const next = nextCourse(all, courseId);
      doneBox.append(h("p", {}, h("span", { class: "badge badge-done", id: "done-badge" }, "学习完"), " 本课已达到要求的学习时长。"),
        next ? h("p", {}, h("a", { class: "btn btn-primary", id: "next-course", href: `#/play/${next.course_id}` }, `下一课：${next.title}`))
          : h("p", {}, h("a", { class: "btn btn-primary", id: "next-course", href: "#/questionnaire" }, "全部学习完，填写课程效果问卷")));
    }
    video.dataset.credited = String(state.credited);
  };
  showProgress();
  const status = h("p", { class: "small muted", role: "status", id: "hb-status" },
    resumeAt ? `上次看到 ${stamp(resumeAt)}，将从该处继续。` : "");

  // hls.js: the playlist and key through the platform, with the trainee's token
  let hls = null;
  const url = new URL(link.url, `${apiRoot()}/`).href;
  const start = async (at) => {
    let Hls;
    try {
      Hls = await loadHls();
    } catch {
      failed("播放器加载失败，请刷新页面重试。");
      return;
    }
    if (!Hls.isSupported()) {
      failed("当前浏览器不支持加密视频播放，请使用最新版的 Chrome、Edge、Firefox 或 Safari（iOS 17.1 以上）观看。");
      return;
    }
    if (hls) {
      hls.destroy();
      await refreshSession(); // a restart comes late in a lesson: a fresh token for the key
    }
    hls = new Hls({ xhrSetup, startPosition: at, maxBufferLength: 30, enableWorker: true, lowLatencyMode: false });
    hls.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      const code = d.response && d.response.code;
      if (d.details === Hls.ErrorDetails.FRAG_LOAD_ERROR && code === 403) {
        start(video.currentTime); // the segment links expired (a few minutes): fresh ones
        return;
      }
      const api = messageOf(d);
      if (code === 401) failed("登录已过期，请重新登录后继续学习（已记录的学习进度不会丢失）。");
      else if (api) failed(`${api.message}。`);
      else if (d.details === Hls.ErrorDetails.KEY_LOAD_ERROR) failed("无法获取本窗口的播放授权（可能已在其他窗口开始播放，或在线学习已结束），请刷新页面。");
      else failed("视频加载失败，请刷新页面重试。");
      video.dataset.playerError = d.details;
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  };
  start(resumeAt);

  // no seeking beyond the furthest watched point; 1x only
  // A position counts as watched when playing at 1x could have reached it since the last
  // update: a starved or throttled tab fires timeupdate seconds apart, and a fixed step
  // would then stop following the viewer (who could no longer go back into what they saw).
  let lastUpdate = performance.now();
  video.addEventListener("timeupdate", () => {
    const now = performance.now();
    const reach = furthest + 3 + (now - lastUpdate) / 1000;
    lastUpdate = now;
    if (!video.seeking && video.currentTime <= reach) furthest = Math.max(furthest, video.currentTime);
  });
  video.addEventListener("seeking", () => {
    if (video.currentTime > furthest + 1) {
      video.currentTime = furthest;
      video.dataset.seekBlocked = String(Number(video.dataset.seekBlocked || 0) + 1);
      say(`只能拖动到已观看过的位置（${stamp(furthest)}）之前，请按顺序观看。`);
    }
  });
  video.addEventListener("ratechange", () => {
    if (video.playbackRate !== 1) {
      video.playbackRate = 1;
      say("课程视频只能以正常速度（1 倍速）播放。");
    }
  });

  // heartbeats
  let sending = false;
  let token = link.token || null;
  const sessionId = link.session_id || null; // this window's play session
  let stopped = false;
  const stop = () => {
    stopped = true;
    video.pause();
    if (hls) hls.stopLoad();
  };
  // position: the player's, or (browser tests only) a given one
  const beat = async (position) => {
    const given = typeof position === "number";
    if ((sending && !given) || stopped || !video.isConnected) return;
    while (sending) await new Promise((resolve) => setTimeout(resolve, 50)); // a given report waits its turn
    if (stopped) return;
    sending = true;
    try {
      const pos = Math.floor(given ? position : Math.max(video.currentTime, 0));
      const r = await post(`/learning/courses/${encodeURIComponent(courseId)}/heartbeat`, { position_s: pos, session_id: sessionId, ...(token ? { token } : {}) });
      token = r.token || null;
      state.credited = r.credited_s;
      state.required = r.required_s || state.required;
      state.completed = r.completed;
      showProgress();
      status.textContent = r.completed ? "本课已学习完。" : `已记录学习进度（${stamp(pos)}）`;
    } catch (err) {
      if (err.code === "SESSION_SUPERSEDED") {
        // a newer play session (another tab, device or course) took over: stop here
        stop();
        supersededNote.textContent = `${err.message}。如需在本窗口继续学习，请刷新页面。`;
        supersededNote.hidden = false;
        status.textContent = err.message;
        video.dataset.superseded = "true";
        return;
      }
      if (err.status === 401) {
        stop();
        failed("登录已过期，播放已暂停。请重新登录后继续学习（已记录的学习进度不会丢失）。");
        return;
      }
      showError(err);
      if (err.status === 409 || err.status === 403) stop();
    } finally {
      sending = false;
    }
  };
  const every = test.heartbeat_s || link.heartbeat_interval_s || HEARTBEAT_S;
  const timer = setInterval(() => {
    if (!video.isConnected) clearInterval(timer);
    else if (!video.paused) beat();
  }, every * 1000);
  video.addEventListener("pause", () => beat());
  video.addEventListener("ended", () => beat());
  video.addEventListener("play", () => {
    if (stopped) video.pause(); // this window's session is over: reload to play here
  });

  // "still there?" every N minutes of playing; unanswered within 60 s it pauses
  const idleEvery = test.idle_check_s || link.idle_check_s || 900;
  const answerS = test.idle_answer_s || IDLE_ANSWER_S;
  let playedS = 0;
  let asking = 0;
  const countdown = idleBox.querySelector("#idle-countdown");
  idleBtn.addEventListener("click", () => {
    idleBox.hidden = true;
    asking = 0;
    playedS = 0;
    if (video.dataset.idlePaused === "true") {
      video.dataset.idlePaused = "false";
      video.play().catch(() => {});
    }
  });
  const tick = setInterval(() => {
    if (!video.isConnected) {
      clearInterval(tick);
      if (hls) hls.destroy();
      return;
    }
    if (asking) {
      asking -= 1;
      countdown.textContent = asking > 0 ? `请在 ${asking} 秒内点击“继续观看”，否则将暂停播放。` : "长时间未应答，播放已暂停。点击“继续观看”继续学习。";
      if (asking === 0) {
        video.dataset.idlePaused = "true";
        video.pause();
      }
      return;
    }
    if (!video.paused && idleBox.hidden) {
      playedS += 1;
      if (playedS >= idleEvery) {
        asking = answerS;
        countdown.textContent = `请在 ${asking} 秒内点击“继续观看”，否则将暂停播放。`;
        idleBox.hidden = false;
        idleBtn.focus();
      }
    }
  }, 1000);

  // the watermark moves, so it cannot be cropped away
  const moveMark = () => {
    mark.style.left = `${5 + Math.random() * 55}%`;
    mark.style.top = `${5 + Math.random() * 75}%`;
  };
  moveMark();
  const moving = setInterval(() => (mark.isConnected ? moveMark() : clearInterval(moving)), (test.watermark_move_s || 7) * 1000);

  main.append(card("视频", supersededNote, loadError, note, stage,
    h("div", { class: "player-tools" }, fullBtn),
    bar, minutes, totalLine, doneBox, status,
    h("p", { class: "small muted" }, "学习进度按实际观看时间记录：每一秒只计一次，不能拖动到未看过的位置，不能倍速播放。课程视频版权归主办方所有，禁止录制、下载和转播。"),
    h("p", {}, h("a", { href: "#/learn" }, "返回我的课程"))));
  window.__lscBeat = beat; // the browser test sends a beat without waiting 30 s
}


export const pages = {
  learn: { title: "我的课程", roles: ["trainee"], render: learnPage },
  play: { title: "课程学习", roles: ["trainee"], render: playPage },
};
