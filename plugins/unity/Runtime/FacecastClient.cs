using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading.Tasks;
using UnityEngine;
using UnityEngine.Events;

namespace Facecast
{
    public enum FacecastClientState { Disconnected, Connecting, LoadingAvatar, Ready, Error }

    public enum FacecastEmotion { Neutral, Happy, Sad, Angry, Surprised, Fearful, Disgusted }

    /// <summary>One NPC's session on a `facecast serve` runtime: connects (sharing one connection per
    /// endpoint pair among all NPCs), opens a session, loads the portrait, takes audio and controls,
    /// and exposes the latest pose (as a motion source) and frames (for FacecastFaceTexture). Network
    /// waits run off the main thread; results come back through a queue drained in Update.</summary>
    [AddComponentMenu("Facecast/Facecast Client")]
    [DisallowMultipleComponent]
    public sealed class FacecastClient : FacecastMotionSource
    {
        [Tooltip("Control endpoint of `facecast serve` (ROUTER).")]
        public string controlEndpoint = "tcp://127.0.0.1:5555";
        [Tooltip("Data endpoint of `facecast serve` (PUB).")]
        public string dataEndpoint = "tcp://127.0.0.1:5556";
        [Tooltip("Session id (A-Z a-z 0-9 _ . -, up to 64). Empty: made from the GameObject's name.")]
        public string sessionId = "";
        [Tooltip("Pose parameters only (for 3D heads): no frames are rendered, which costs the runtime far less.")]
        public bool poseOnly;
        [Tooltip("Rest the mouth where no voice is heard (background music in the audio). Auto: on for rendered portraits, off for pose-only sessions, where it costs most of their CPU.")]
        public VoiceGateMode voiceGate = VoiceGateMode.Auto;
        [Tooltip("Frame size in pixels (even, 256..1024 for portraits).")]
        public int size = 512;
        [Range(1, 120)] public float fps = 25f;
        public PixelFormat pixelFormat = PixelFormat.Rgba;

        [Header("Portrait (frames only)")]
        [Tooltip("A portrait file on the machine that runs `facecast serve`.")]
        public string portraitPath = "";
        [Tooltip("Or a portrait texture sent as PNG (needs Read/Write enabled in its import settings).")]
        public Texture2D portrait;

        [Header("Controls")]
        public FacecastEmotion emotion = FacecastEmotion.Neutral;
        [Range(0, 1)] public float emotionIntensity = 1f;
        [Tooltip("Head motion: 0 still, 1 natural, 2 lively.")]
        [Range(0, 2)] public float motionIntensity = 1f;
        [Tooltip("Head scale: >1 nearer.")]
        [Range(0.5f, 2f)] public float distance = 1f;
        public bool transparentBackground;
        [Tooltip("Makes the motion repeatable.")]
        public int seed;

        public bool connectOnEnable = true;
        [Tooltip("Retry every 3 s while the runtime cannot be reached, and reopen the session (reloading the portrait) when the runtime no longer lists it, e.g. after `facecast serve` restarted.")]
        public bool autoReopen = true;

        [Serializable] public class ErrorEvent : UnityEvent<string> { }
        public UnityEvent onReady = new UnityEvent();
        public ErrorEvent onError = new ErrorEvent();

        readonly ConcurrentQueue<Action> _mainThread = new ConcurrentQueue<Action>();
        readonly FaceMotion _motion = new FaceMotion();
        FacecastConnection _connection;
        FacecastSession _session;
        long _motionVersion;
        int _generation;
        StatusMessage _lastStatus;
        float _retryAt = -1f;
        const float RetrySeconds = 3f;
        int _missingFromStatus;
        float _readySince;
        ControlValues _sent;
        bool _controlsSent;

        /// <summary>The inspector controls as last sent, compared each frame without allocating.</summary>
        struct ControlValues
        {
            public FacecastEmotion Emotion;
            public float EmotionIntensity, MotionIntensity, Distance;
            public int Seed;
            public bool Transparent;
        }

        ControlValues CurrentControls()
        {
            return new ControlValues
            {
                Emotion = emotion, EmotionIntensity = emotionIntensity, MotionIntensity = motionIntensity,
                Distance = distance, Seed = seed, Transparent = transparentBackground,
            };
        }

        public override FaceMotion Motion { get { return _motion; } }
        public override long MotionVersion { get { return _motionVersion; } }

        public FacecastClientState State { get; private set; }
        public string LastError { get; private set; }
        /// <summary>The open session (null until Ready or while pose-only sessions open).</summary>
        public FacecastSession Session { get { return _session; } }
        /// <summary>The session's mailboxes: latest frame and pose, with counters.</summary>
        public SessionChannel Channel { get { return _session != null ? _session.Channel : null; } }
        public FacecastConnection Connection { get { return _connection; } }
        /// <summary>pts of the pose currently in Motion, on the session's audio clock.</summary>
        public double PosePts { get; private set; }
        public bool IsReady { get { return State == FacecastClientState.Ready; } }

        void OnEnable()
        {
            if (connectOnEnable) Connect();
        }

        void OnDisable() { Disconnect(); }

        /// <summary>Opens the session (and loads the portrait) in the background; State says how far
        /// it got, onReady / onError report the outcome on the main thread.</summary>
        public void Connect()
        {
            if (_connection != null) return;
            State = FacecastClientState.Connecting;
            LastError = null;
            int gen = ++_generation;
            _connection = FacecastConnection.Acquire(controlEndpoint, dataEndpoint);
            var conn = _connection;
            var options = new SessionOptions
            {
                Session = string.IsNullOrEmpty(sessionId) ? DefaultSessionId() : sessionId,
                PoseOnly = poseOnly,
                VoiceGate = voiceGate,
                Size = size,
                Fps = fps,
                Format = pixelFormat,
                Controls = BuildControls(),
            };
            _sent = CurrentControls();
            byte[] png = null;
            if (!poseOnly && portrait != null)
            {
                if (!portrait.isReadable) { Fail(gen, "the portrait texture '" + portrait.name + "' is not readable: enable Read/Write in its import settings, or set portraitPath"); return; }
                png = portrait.EncodeToPNG();
            }
            string path = portraitPath;
            bool needAvatar = !poseOnly;
            Task.Run(() =>
            {
                FacecastSession s = null;
                try
                {
                    s = FacecastSession.Open(conn, options, 10000);
                    Post(() =>
                    {
                        if (gen != _generation) { Task.Run(() => s.Close()); return; }
                        _session = s;
                        _controlsSent = true;
                        if (needAvatar) State = FacecastClientState.LoadingAvatar;
                    });
                    if (needAvatar)
                    {
                        if (png != null) s.LoadAvatarBytes(png);
                        else if (!string.IsNullOrEmpty(path)) s.LoadAvatar(path);
                        else throw new FacecastControlException("bad_argument", "no portrait: set portraitPath or portrait, or tick poseOnly");
                    }
                    Post(() =>
                    {
                        if (gen != _generation) return;
                        State = FacecastClientState.Ready;
                        _readySince = UnityEngine.Time.unscaledTime;
                        _missingFromStatus = 0;
                        onReady.Invoke();
                    });
                }
                catch (Exception e)
                {
                    var ce = e as FacecastControlException;
                    // No runtime yet (or it is restarting): worth retrying; a bad portrait is not.
                    bool retry = ce != null && (ce.Code == "disconnected" || ce.Code == "timeout");
                    Fail(gen, e.Message, retry);
                }
            });
        }

        string DefaultSessionId()
        {
            var chars = new System.Text.StringBuilder();
            foreach (char c in gameObject.name)
                chars.Append(char.IsLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' ? c : '-');
            chars.Append('-').Append((GetInstanceID() & 0x7fffffff).ToString());
            string id = chars.ToString();
            return id.Length > 64 ? id.Substring(id.Length - 64) : id;
        }

        void Fail(int gen, string message, bool retry = false)
        {
            Post(() =>
            {
                if (gen != _generation) return;
                State = FacecastClientState.Error;
                LastError = message;
                _retryAt = retry ? UnityEngine.Time.unscaledTime + RetrySeconds : -1f;
                Debug.LogError("[facecast] " + name + ": " + message, this);
                onError.Invoke(message);
            });
        }

        /// <summary>Closes the session on the runtime (in the background) and drops the connection.</summary>
        public void Disconnect()
        {
            _generation++;
            var s = _session;
            var c = _connection;
            _session = null;
            _connection = null;
            _controlsSent = false;
            State = FacecastClientState.Disconnected;
            if (c == null) return;
            Task.Run(() =>
            {
                try { if (s != null) s.Close(); }
                finally { c.Release(); }
            });
        }

        void Post(Action a) { _mainThread.Enqueue(a); }

        void Update()
        {
            Action a;
            while (_mainThread.TryDequeue(out a)) a();
            var ch = Channel;
            PoseHeader p;
            if (ch != null && ch.Poses.TryTake(out p))
            {
                _motion.CopyFrom(p.Motion);
                PosePts = p.Pts;
                _motionVersion++;
                RaiseMotionUpdated();
            }
            if (_session != null && ControlsChanged()) SendControls();
            if (autoReopen) WatchStatus();
            if (autoReopen && State == FacecastClientState.Error && _retryAt >= 0f && UnityEngine.Time.unscaledTime >= _retryAt)
            {
                _retryAt = -1f;
                Disconnect();
                Connect();
            }
        }

        /// <summary>A runtime that restarted has forgotten every session: when two status messages in
        /// a row (sent at least once a second) no longer list ours, open it again.</summary>
        void WatchStatus()
        {
            var conn = _connection;
            if (State != FacecastClientState.Ready || conn == null || _session == null) return;
            var status = conn.LatestStatus;
            if (status == null || ReferenceEquals(status, _lastStatus)) return;
            _lastStatus = status;
            if (UnityEngine.Time.unscaledTime - _readySince < 2f) return; // statuses sent before we opened
            bool listed = false;
            foreach (var s in status.Sessions) if (s.Session == _session.Id) { listed = true; break; }
            _missingFromStatus = listed ? 0 : _missingFromStatus + 1;
            if (_missingFromStatus < 2) return;
            Debug.LogWarning("[facecast] " + name + ": the runtime no longer has session " + _session.Id + "; reopening it", this);
            Disconnect();
            Connect();
        }

        Dictionary<string, object> BuildControls()
        {
            return new Dictionary<string, object>
            {
                { "emotion", FacecastNames.Emotions[(int)emotion] },
                { "emotion_intensity", (double)emotionIntensity },
                { "intensity", (double)motionIntensity },
                { "distance", (double)distance },
                { "seed", (long)Math.Max(0, seed) },
                { "background", transparentBackground ? "transparent" : "keep" },
            };
        }

        bool ControlsChanged()
        {
            if (!_controlsSent) return false;
            var c = CurrentControls();
            return c.Emotion != _sent.Emotion || c.EmotionIntensity != _sent.EmotionIntensity || c.MotionIntensity != _sent.MotionIntensity
                || c.Distance != _sent.Distance || c.Seed != _sent.Seed || c.Transparent != _sent.Transparent;
        }

        void SendControls()
        {
            _sent = CurrentControls();
            SetControls(BuildControls());
        }

        /// <summary>Changes any controls (emotion, emotion_intensity, gaze [yaw, pitch] or null,
        /// distance, intensity, seed, background, size, fps); errors are logged.</summary>
        public void SetControls(Dictionary<string, object> controls)
        {
            var s = _session;
            if (s == null) return;
            s.Set(controls, ReportErrors("set"));
        }

        /// <summary>Look at a direction (degrees), or at the camera when null.</summary>
        public void SetGaze(Vector2? yawPitch)
        {
            object gaze = yawPitch.HasValue ? new List<object> { (double)yawPitch.Value.x, (double)yawPitch.Value.y } : null;
            SetControls(new Dictionary<string, object> { { "gaze", gaze } });
        }

        /// <summary>Sends float samples (interleaved if channels &gt; 1) to drive the face. Call on the
        /// main thread. The reply (with its pts on the session clock) is optional.</summary>
        public void PushAudio(float[] samples, int offset, int count, int sampleRate, int channels, Action<ControlReply> onReply = null)
        {
            var s = _session;
            if (s == null) return;
            var report = ReportErrors("push_audio");
            s.PushAudio(samples, offset, count, sampleRate, channels, r =>
            {
                report(r);
                if (onReply != null) Post(() => onReply(r));
            });
        }

        /// <summary>Plays an audio file that the runtime can read (it is not played locally).</summary>
        public void PlayFile(string path)
        {
            var s = _session;
            if (s == null) return;
            Task.Run(() =>
            {
                try { s.PlayFile(path); }
                catch (Exception e) { Post(() => Debug.LogWarning("[facecast] play_file: " + e.Message, this)); }
            });
        }

        Action<ControlReply> ReportErrors(string op)
        {
            return r =>
            {
                if (r.Ok) return;
                string msg = op + " failed: " + r;
                Post(() => { LastError = msg; Debug.LogWarning("[facecast] " + name + ": " + msg, this); });
            };
        }
    }
}
