// Signatures of the Unity, UnityEditor, Unity Test Framework and NUnit APIs the package uses, with no
// behaviour: lets mcs type-check the components, editors and Unity tests on machines without Unity
// (tests/test_unity_core.py). Written from Unity's documented signatures; not shipped, not a Unity
// replacement.
#pragma warning disable 0067, 0649, 0169, 0414
using System;
using System.Collections;

namespace UnityEngine
{
    public class Object
    {
        public string name { get; set; }
        public int GetInstanceID() { return 0; }
        public static void Destroy(Object o) { }
        public static void DestroyImmediate(Object o) { }
        public static implicit operator bool(Object o) { return o != null; }
    }
    public class Component : Object
    {
        public GameObject gameObject { get { return null; } }
        public Transform transform { get { return null; } }
        public T GetComponent<T>() { return default(T); }
        public T GetComponentInParent<T>() { return default(T); }
        public T GetComponentInChildren<T>() { return default(T); }
    }
    public class Behaviour : Component { public bool enabled { get; set; } }
    public class MonoBehaviour : Behaviour { }
    public class ScriptableObject : Object
    {
        public static T CreateInstance<T>() where T : ScriptableObject { return null; }
    }
    public sealed class GameObject : Object
    {
        public GameObject(string name) { }
        public GameObject(string name, params Type[] components) { }
        public T AddComponent<T>() where T : Component { return null; }
        public Transform transform { get { return null; } }
        public void SetActive(bool value) { }
    }
    public class Transform : Component
    {
        public Quaternion localRotation { get; set; }
        public Quaternion rotation { get; set; }
        public void SetParent(Transform p, bool worldPositionStays) { }
    }
    public class RectTransform : Transform { }
    public struct Vector2 { public float x, y; public Vector2(float x, float y) { this.x = x; this.y = y; } }
    public struct Vector3
    {
        public float x, y, z;
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
        public static Vector3 zero, right, up, forward;
        public static Vector3 Lerp(Vector3 a, Vector3 b, float t) { return a; }
        public static Vector3 operator *(Vector3 a, float d) { return a; }
    }
    public struct Quaternion
    {
        public static Quaternion Euler(Vector3 e) { return default(Quaternion); }
        public static Quaternion Euler(float x, float y, float z) { return default(Quaternion); }
        public static Quaternion Inverse(Quaternion q) { return q; }
        public static Quaternion operator *(Quaternion a, Quaternion b) { return a; }
        public static Vector3 operator *(Quaternion a, Vector3 v) { return v; }
    }
    public struct Rect { public Rect(float x, float y, float w, float h) { } }
    public struct Color32 { public byte r, g, b, a; public static implicit operator Color32(Color c) { return default(Color32); } }
    public struct Color { public float r, g, b, a; }
    public struct Keyframe { public Keyframe(float time, float value, float inTangent, float outTangent) { } }
    [Serializable] public class AnimationCurve
    {
        public AnimationCurve() { }
        public AnimationCurve(params Keyframe[] keys) { }
        public float Evaluate(float time) { return 0; }
    }
    public enum TextureFormat { RGBA32, BGRA32 }
    public enum TextureWrapMode { Clamp }
    public enum FilterMode { Point, Bilinear }
    public class Texture : Object
    {
        public int width { get { return 0; } }
        public int height { get { return 0; } }
        public TextureWrapMode wrapMode { get; set; }
        public FilterMode filterMode { get; set; }
    }
    public sealed class Texture2D : Texture
    {
        public Texture2D(int w, int h, TextureFormat f, bool mipChain) { }
        public TextureFormat format { get { return TextureFormat.RGBA32; } }
        public bool isReadable { get { return true; } }
        public Unity.Collections.NativeArray<T> GetRawTextureData<T>() where T : struct { return default(Unity.Collections.NativeArray<T>); }
        public void Apply(bool updateMipmaps, bool makeNoLongerReadable) { }
        public Color GetPixel(int x, int y) { return default(Color); }
        public byte[] EncodeToPNG() { return null; }
    }
    public class Material : Object { public bool HasProperty(string n) { return false; } }
    public sealed class MaterialPropertyBlock { public void SetTexture(int id, Texture t) { } }
    public sealed class Shader : Object { public static int PropertyToID(string n) { return 0; } }
    public class Renderer : Component
    {
        public Material sharedMaterial { get; set; }
        public void GetPropertyBlock(MaterialPropertyBlock b) { }
        public void SetPropertyBlock(MaterialPropertyBlock b) { }
    }
    public sealed class Mesh : Object
    {
        public int blendShapeCount { get { return 0; } }
        public string GetBlendShapeName(int i) { return null; }
        public Vector3[] vertices { get; set; }
        public int[] triangles { get; set; }
        public void AddBlendShapeFrame(string n, float w, Vector3[] dv, Vector3[] dn, Vector3[] dt) { }
    }
    public class SkinnedMeshRenderer : Renderer
    {
        public Mesh sharedMesh { get; set; }
        public float GetBlendShapeWeight(int i) { return 0; }
        public void SetBlendShapeWeight(int i, float w) { }
    }
    public enum AudioClipLoadType { DecompressOnLoad, CompressedInMemory, Streaming }
    public sealed class AudioClip : Object
    {
        public int samples { get { return 0; } }
        public int channels { get { return 0; } }
        public int frequency { get { return 0; } }
        public AudioClipLoadType loadType { get { return AudioClipLoadType.DecompressOnLoad; } }
        public bool GetData(float[] data, int offsetSamples) { return true; }
    }
    public sealed class AudioSource : Behaviour
    {
        public AudioClip clip { get; set; }
        public bool isPlaying { get { return false; } }
        public int timeSamples { get; set; }
        public float time { get; set; }
        public void Play() { }
    }
    public sealed class AudioSettings { public static int outputSampleRate { get { return 48000; } } }
    public static class Time { public static float deltaTime { get { return 0; } } public static float unscaledTime { get { return 0; } } public static float realtimeSinceStartup { get { return 0; } } }
    public static class Mathf
    {
        public static int Max(int a, int b) { return a; }
        public static float Max(float a, float b) { return a; }
        public static int Min(int a, int b) { return a; }
        public const float PI = 3.14159265f;
        public static float Sin(float f) { return f; }
    }
    public static class Debug
    {
        public static void Log(object m) { }
        public static void LogWarning(object m, Object context) { }
        public static void LogError(object m, Object context) { }
    }
    public static class Application { public static bool isPlaying { get { return false; } } }
    public enum HumanBodyBones { Head, Neck, LeftEye, RightEye }
    public sealed class Animator : Behaviour
    {
        public bool isHuman { get { return false; } }
        public Transform GetBoneTransform(HumanBodyBones b) { return null; }
    }
    public sealed class AddComponentMenu : Attribute { public AddComponentMenu(string m) { } }
    public sealed class DisallowMultipleComponent : Attribute { }
    public sealed class RequireComponent : Attribute { public RequireComponent(Type t) { } }
    public sealed class TooltipAttribute : Attribute { public TooltipAttribute(string t) { } }
    public sealed class HeaderAttribute : Attribute { public HeaderAttribute(string t) { } }
    public sealed class RangeAttribute : Attribute { public RangeAttribute(float a, float b) { } }
    public sealed class CreateAssetMenuAttribute : Attribute { public string menuName, fileName; }
    public sealed class Event { public static Event current { get { return null; } } public bool shift { get { return false; } } }
    public static class GUILayout
    {
        public static bool Button(string t, params GUILayoutOption[] o) { return false; }
        public static GUILayoutOption MaxWidth(float w) { return null; }
    }
    public sealed class GUILayoutOption { }
    public static class GUILayoutUtility { public static Rect GetAspectRect(float aspect, params GUILayoutOption[] o) { return default(Rect); } }
    public class GUIStyle { }
}

namespace UnityEngine.Events
{
    public class UnityEvent { public void Invoke() { } }
    public abstract class UnityEvent<T0> { public void Invoke(T0 a) { } }
}

namespace UnityEngine.UI
{
    public class RawImage : Behaviour
    {
        public Texture texture { get; set; }
        public Rect uvRect { get; set; }
    }
}

namespace UnityEngine.TestTools
{
    public sealed class UnityTestAttribute : Attribute { }
}

namespace Unity.Collections
{
    public struct NativeArray<T> where T : struct
    {
        public static void Copy(T[] src, int srcIndex, NativeArray<T> dst, int dstIndex, int length) { }
    }
}

namespace UnityEditor
{
    using UnityEngine;
    public sealed class CustomEditor : Attribute { public CustomEditor(Type t) { } }
    public class Editor : ScriptableObject
    {
        public Object target { get { return null; } }
        public virtual void OnInspectorGUI() { }
        public bool DrawDefaultInspector() { return true; }
        public void Repaint() { }
    }
    public enum MessageType { None, Info, Warning, Error }
    public static class EditorGUILayout
    {
        public static void HelpBox(string m, MessageType t) { }
        public static void Space() { }
        public static void LabelField(string a, string b) { }
        public static void LabelField(string a, string b, GUIStyle s) { }
        public static void LabelField(string a, GUIStyle s) { }
        public sealed class HorizontalScope : IDisposable { public void Dispose() { } }
    }
    public static class EditorStyles { public static GUIStyle miniLabel, boldLabel; }
    public static class EditorGUI { public static void DrawTextureTransparent(Rect r, Texture t) { } }
    public static class EditorUtility { public static void SetDirty(Object o) { } }
    public static class Undo { public static void RecordObject(Object o, string n) { } }
    public static class AssetDatabase
    {
        public static string GenerateUniqueAssetPath(string p) { return p; }
        public static void CreateAsset(Object o, string p) { }
        public static void SaveAssets() { }
        public static string GetAssetPath(Object o) { return null; }
        public static void ImportAsset(string p) { }
        public static bool DeleteAsset(string p) { return true; }
        public static T LoadAssetAtPath<T>(string p) where T : Object { return null; }
    }
    public static class Selection { public static Object[] objects { get { return null; } } }
    public sealed class MenuItem : Attribute
    {
        public MenuItem(string p) { }
        public MenuItem(string p, bool validate) { }
    }
}

namespace UnityEditor.AssetImporters
{
    public sealed class ScriptedImporterAttribute : Attribute { public ScriptedImporterAttribute(int version, string ext) { } }
    public abstract class ScriptedImporter : UnityEngine.Object { public abstract void OnImportAsset(AssetImportContext ctx); }
    public sealed class AssetImportContext
    {
        public string assetPath { get { return null; } }
        public void LogImportError(string msg, UnityEngine.Object obj) { }
        public void AddObjectToAsset(string id, UnityEngine.Object o) { }
        public void SetMainObject(UnityEngine.Object o) { }
    }
}

namespace NUnit.Framework
{
    public sealed class TestAttribute : Attribute { }
    public sealed class TearDownAttribute : Attribute { }
    public static class Assert
    {
        public static void AreEqual(object a, object b) { }
        public static void AreEqual(float a, float b, float d) { }
        public static void AreEqual(float a, float b, float d, string m) { }
        public static void AreSame(object a, object b) { }
        public static void AreSame(object a, object b, string m) { }
        public static void NotNull(object a) { }
        public static void IsTrue(bool c) { }
        public static void Less(float a, float b, string m) { }
        public static void Greater(float a, float b, string m) { }
        public static void Greater(int a, int b) { }
        public static void Greater(long a, long b, string m) { }
        public static void AreEqual(object a, object b, string m, params object[] args) { }
        public static void Ignore(string m) { }
        public static T Throws<T>(TestDelegate d) where T : Exception { return null; }
    }
    public delegate void TestDelegate();
    public static class StringAssert { public static void Contains(string e, string a) { } }
}

namespace UnityEngine
{
    public enum KeyCode { Space }
    public static class Input { public static bool GetKeyDown(KeyCode k) { return false; } }
}
