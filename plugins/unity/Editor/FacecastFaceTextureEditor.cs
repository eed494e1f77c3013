using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Settings, a live preview and the frame counters of a face texture.</summary>
    [CustomEditor(typeof(FacecastFaceTexture))]
    public sealed class FacecastFaceTextureEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var f = (FacecastFaceTexture)target;
            if (f.client == null) EditorGUILayout.HelpBox("Assign the FacecastClient whose frames to show.", MessageType.Warning);
            else if (f.client.poseOnly) EditorGUILayout.HelpBox("The client is pose-only: the runtime renders no frames for it.", MessageType.Warning);
            if (f.rawImage == null && f.targetRenderer == null) EditorGUILayout.HelpBox("Assign a RawImage or a Renderer to show the face on.", MessageType.Warning);
            if (!Application.isPlaying) return;
            EditorGUILayout.LabelField("Frames shown", f.FramesShown.ToString());
            EditorGUILayout.LabelField("Last frame", "seq " + f.LastSeq + ", pts " + f.LastPts.ToString("F3") + " s");
            if (f.Texture != null)
            {
                Rect r = GUILayoutUtility.GetAspectRect((float)f.Texture.width / f.Texture.height, GUILayout.MaxWidth(256));
                EditorGUI.DrawTextureTransparent(r, f.Texture);
            }
            Repaint();
        }
    }
}
