using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>The client's settings plus what it is doing: state, session, frames and poses received,
    /// the runtime's status line for this session.</summary>
    [CustomEditor(typeof(FacecastClient))]
    public sealed class FacecastClientEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var c = (FacecastClient)target;
            if (!Application.isPlaying)
            {
                EditorGUILayout.HelpBox("Start `facecast serve` (control " + c.controlEndpoint + ", data " + c.dataEndpoint + ") before entering Play mode. NPCs with the same endpoints share one connection.", MessageType.Info);
                return;
            }
            EditorGUILayout.Space();
            EditorGUILayout.LabelField("State", c.State.ToString());
            if (!string.IsNullOrEmpty(c.LastError)) EditorGUILayout.HelpBox(c.LastError, MessageType.Error);
            var conn = c.Connection;
            if (conn != null)
            {
                EditorGUILayout.LabelField("Control", conn.Control.IsConnected ? "connected" : "waiting (" + (conn.Control.Socket.LastError ?? "connecting") + ")");
                EditorGUILayout.LabelField("Data", conn.Data.IsConnected ? "connected" : "waiting (" + (conn.Data.LastError ?? "connecting") + ")");
                if (conn.DataErrors > 0) EditorGUILayout.HelpBox(conn.DataErrors + " undecodable data message(s); last: " + conn.LastDataError, MessageType.Warning);
            }
            var ch = c.Channel;
            if (ch != null)
            {
                EditorGUILayout.LabelField("Session", ch.Session);
                EditorGUILayout.LabelField("Poses received", ch.PosesReceived.ToString());
                EditorGUILayout.LabelField("Frames received", ch.FramesReceived + (ch.FrameGaps > 0 ? " (" + ch.FrameGaps + " lost in transit)" : ""));
                EditorGUILayout.LabelField("Pose pts", c.PosePts.ToString("F3") + " s");
                var status = conn != null ? conn.LatestStatus : null;
                if (status != null)
                    foreach (var s in status.Sessions)
                        if (s.Session == ch.Session)
                            EditorGUILayout.LabelField("Runtime", s.State + ", " + s.Fps.ToString("F1") + " fps, " + s.QueuedAudioS.ToString("F2") + " s audio queued" + (s.ErrorMessage != null ? ", error: " + s.ErrorMessage : ""));
            }
            using (new EditorGUILayout.HorizontalScope())
            {
                if (GUILayout.Button("Reconnect")) { c.Disconnect(); c.Connect(); }
                if (GUILayout.Button("Disconnect")) c.Disconnect();
            }
            Repaint();
        }
    }
}
