// Learning pages: the course list with progress, and the player (play session, heartbeats).
import { get, post } from "./api.js";
import { currentEdition, go } from "./app.js";
import { HEARTBEAT_S } from "./config.js";
import {
  appNow, badge, busy, CHANNEL_LABELS, card, clear, copyText, day, field, flash, formValues, h,
  openLink, progress, showError, span, STATUS_LABELS, table, when, yuan,
} from "./ui.js";

// --- learning --------------------------------------------------------------------------
async function learnPage(main) {
  main.append(h("h1", {}, "我的课程"));
  const ed = await currentEdition(true);
  let data;
  try {
    data = await get("/learning/courses");
  } catch (err) {
    main.append(card("在线学习", h("p", { class: "alert alert-info" }, err.message),
      h("p", { class: "small muted" }, `在线学习时间：${when(ed.windows.learning.opens)} 至 ${when(ed.windows.learning.closes)}。`)));
    return;
  }
  const courses = data.courses || [];
  if (data.learning_open === false) {
    const before = appNow() < new Date(data.learning_opens || ed.windows.learning.opens).getTime();
    main.append(card("在线学习", h("p", { class: "alert alert-info", id: "learning-closed" }, before
      ? `在线学习将于 ${when(data.learning_opens || ed.windows.learning.opens)} 开始，届时即可选学和观看课程。`
      : `在线学习已于 ${when(data.learning_closes || ed.windows.learning.closes)} 结束，不能补学。`)));
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
  const list = h("ul", { class: "courses" }, courses.map((c) => h("li", { dataset: { courseId: c.course_id } },
    h("div", { class: "course-head" },
      h("strong", {}, c.title), h("span", { class: "small muted" }, `${c.hours} 学时`),
      c.completed ? h("span", { class: "badge badge-done" }, "学习完") : null),
    progress(c.credited_s || 0, c.required_s || 1, `${c.title} 学习进度`),
    data.enrolled === false || data.learning_open === false ? null : h("p", {}, h("a", { class: "btn btn-small", href: `#/play/${c.course_id}`, "aria-label": `学习 ${c.title}` }, c.credited_s ? "继续学习" : "开始学习")))));
  main.append(card(`课程（已学完 ${done}/${courses.length}）`,
    progress(done, courses.length || 1, "全部课程完成度"),
    h("p", { class: "small muted" }, `学习截止：${when(ed.windows.learning.closes)}，过期不能补学。视频仅供在线观看，禁止录制、下载和转播。`),
    list),
  done === courses.length && courses.length ? card("下一步", h("p", {}, h("a", { href: "#/questionnaire" }, "填写课程效果问卷"))) : "");
}

async function playPage(main, courseId) {
  const data = await get("/learning/courses");
  const course = (data.courses || []).find((c) => c.course_id === courseId);
  main.append(h("h1", {}, course ? course.title : "课程"));
  if (!course) {
    main.append(card("找不到课程", h("a", { href: "#/learn" }, "返回我的课程")));
    return;
  }
  const link = await get(`/learning/courses/${encodeURIComponent(courseId)}/play`);
  const resumeAt = link.position_s ?? course.position_s ?? 0;
  const video = h("video", {
    controls: true, controlslist: "nodownload noremoteplayback", disablepictureinpicture: true,
    disableremoteplayback: true, preload: "metadata", playsinline: true, "aria-label": `${course.title} 课程视频`,
  });
  video.addEventListener("contextmenu", (e) => e.preventDefault());
  video.src = link.url;
  const bar = h("div", { id: "course-progress" }, progress(course.credited_s || 0, course.required_s || 1, "本课学习进度"));
  const status = h("p", { class: "small muted", role: "status", id: "hb-status" },
    resumeAt ? `上次看到 ${Math.floor(resumeAt / 60)} 分 ${Math.floor(resumeAt % 60)} 秒，将从该处继续。` : "");
  let resumed = false;
  video.addEventListener("loadedmetadata", () => {
    if (!resumed && resumeAt > 0 && resumeAt < (video.duration || Infinity)) video.currentTime = resumeAt;
    resumed = true;
  });
  video.dataset.resumeAt = String(resumeAt);
  let sending = false;
  let token = link.token || null;
  const sessionId = link.session_id || null; // this window's play session
  let superseded = false;
  const supersededNote = h("p", { class: "alert alert-error", id: "session-superseded", role: "alert", hidden: true });
  const loadError = h("p", { class: "alert alert-error", id: "video-error", hidden: true }, "视频加载失败，请刷新页面重试（播放地址几分钟后失效）。");
  video.addEventListener("error", () => {
    loadError.hidden = false;
  });
  // position: the player's, or (browser tests only) a given one
  const beat = async (position) => {
    if (sending || superseded || !video.isConnected) return;
    sending = true;
    try {
      const pos = Math.floor(typeof position === "number" ? position : (resumed ? video.currentTime : Math.max(video.currentTime, resumeAt)));
      const r = await post(`/learning/courses/${encodeURIComponent(courseId)}/heartbeat`, { position_s: pos, session_id: sessionId, ...(token ? { token } : {}) });
      token = r.token || null;
      clear(bar).append(progress(r.credited_s, r.required_s || course.required_s || 1, "本课学习进度"));
      status.textContent = r.completed ? "本课已学习完。" : `已记录学习进度（${Math.floor(pos / 60)} 分 ${pos % 60} 秒）`;
      video.dataset.credited = String(r.credited_s);
    } catch (err) {
      if (err.code === "SESSION_SUPERSEDED") {
        // a newer play session (another tab, device or course) took over: stop timing here
        superseded = true;
        video.pause();
        supersededNote.textContent = `${err.message}。如需在本窗口继续学习，请刷新页面。`;
        supersededNote.hidden = false;
        status.textContent = err.message;
        video.dataset.superseded = "true";
        return;
      }
      showError(err);
      if (err.status === 409 || err.status === 403) video.pause();
    } finally {
      sending = false;
    }
  };
  const every = (window.__LSC_TEST__ && window.__LSC_TEST__.heartbeat_s) || link.heartbeat_interval_s || HEARTBEAT_S;
  const timer = setInterval(() => {
    if (!video.isConnected) clearInterval(timer);
    else if (!video.paused) beat();
  }, every * 1000);
  video.addEventListener("pause", () => beat());
  video.addEventListener("ended", () => beat());
  video.addEventListener("play", () => {
    if (superseded) video.pause(); // this window's session is over: reload to play here
  });
  main.append(card("视频", supersededNote, loadError, video, bar, status,
    h("p", { class: "small muted" }, "学习进度按实际观看时间记录；请勿拖动或倍速跳过。课程视频版权归主办方所有，禁止录制、下载和转播。"),
    h("p", {}, h("a", { href: "#/learn" }, "返回我的课程"))));
  window.__lscBeat = beat; // the browser test sends a beat without waiting 30 s
}


export const pages = {
  learn: { title: "我的课程", roles: ["trainee"], render: learnPage },
  play: { title: "课程学习", roles: ["trainee"], render: playPage },
};
